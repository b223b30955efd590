# Reference values for tests/stats/test_roc_band_proc.py: pROC's ci.se and the resamples it drew.
#
# Regenerate (from the repository root; needs R >= 4 with pROC 1.18.0 and jsonlite):
#     Rscript tests/r/proc_ci_se_reference.R
# Writes tests/data/proc_ci_se.json. CI has no R: the test only reads the JSON.
#
# Calls (levels = c(0, 1), direction = "<"):
#   r <- roc(y, s, levels = c(0, 1), direction = "<", quiet = TRUE)
#   set.seed(seed); ci.se(r, specificities = sp, boot.n = B, boot.stratified = TRUE, conf.level = L)
# pROC draws each replicate as controls <- sample(r$controls, replace = TRUE) then
# cases <- sample(r$cases, replace = TRUE) (pROC:::stratified.ci.se); the script replays the same draws from the same
# seed with sample.int, checks that they give ci.se's band again, and writes them as 0-based row positions in the
# layout of gvisage_lib.stats.bootstrap_indices (the cases first), so that Python can use the same resamples.
# The data sets are built here (set.seed, RNGkind defaults of R 4.x), rounded, and written with the results.
suppressPackageStartupMessages({library(pROC); library(jsonlite)})

replay <- function(y, seed, B) {
  pos <- which(y == 1) - 1
  neg <- which(y == 0) - 1
  set.seed(seed)
  idx <- matrix(0L, B, length(y))
  for (b in seq_len(B)) {
    ctrl <- sample.int(length(neg), replace = TRUE)
    cas <- sample.int(length(pos), replace = TRUE)
    idx[b, ] <- c(pos[cas], neg[ctrl])
  }
  idx
}

one <- function(y, s, sp, seed, B, L) {
  r <- roc(y, s, levels = c(0, 1), direction = "<", quiet = TRUE)
  set.seed(seed)
  ci <- suppressWarnings(ci.se(r, specificities = sp, boot.n = B, boot.stratified = TRUE, conf.level = L,
                               progress = "none"))
  idx <- replay(y, seed, B)
  # the replayed resamples give ci.se's band again
  m <- sum(y == 1)
  again <- t(sapply(seq_len(B), function(b) {
    rr <- roc(c(rep(1, m), rep(0, length(y) - m)), s[idx[b, ] + 1], levels = c(0, 1), direction = "<", quiet = TRUE)
    coords(rr, sp, input = "specificity", ret = "sensitivity", transpose = FALSE)$sensitivity
  }))
  q <- t(apply(again, 2, quantile, probs = c((1 - L) / 2, 0.5, 1 - (1 - L) / 2)))
  stopifnot(isTRUE(all.equal(unname(q), unname(ci[, 1:3]), tolerance = 0)))
  list(y = y, s = s, specificities = sp, seed = seed, boot_n = B, conf_level = L, indices = idx,
       se_low = unname(ci[, 1]), se_median = unname(ci[, 2]), se_high = unname(ci[, 3]))
}

set.seed(20251206)
y1 <- sample(c(rep(0, 35), rep(1, 25)))
s1 <- round(1.1 * y1 + rnorm(60), 3)
y2 <- rep(c(0, 1), c(30, 22))
s2 <- pmin(5, pmax(1, round(2.6 + 0.9 * y2 + rnorm(52))))  # ratings 1..5: ties everywhere
sp <- c(0, 0.05, 0.1, 1 / 3, 0.5, 0.62, 0.75, 0.9, 0.95, 1)
out <- list(
  meta = list(generated_by = "tests/r/proc_ci_se_reference.R", r_version = R.version.string,
              proc_version = as.character(packageVersion("pROC")),
              jsonlite_version = as.character(packageVersion("jsonlite"))),
  continuous = one(y1, s1, sp, 11, 300, 0.95),
  ordinal_ties = one(y2, s2, sp, 12, 300, 0.9),
  default_grid = one(y2, s2, seq(0, 1, 0.01), 13, 200, 0.95))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), "tests/data/proc_ci_se.json")
