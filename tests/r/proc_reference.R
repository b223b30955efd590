# Reference values for tests/stats/test_stats_delong.py and tests/stats/test_stats_proportions.py.
#
# Regenerate (from the repository root; needs R >= 4 with pROC 1.18.0 and jsonlite):
#     Rscript tests/r/proc_reference.R
# Writes tests/data/proc_delong.json and tests/data/proc_binom.json (NA, Inf and -Inf as the strings "NA", "Inf",
# "-Inf"). CI has no R: the tests only read the JSON.
# The datasets are built here deterministically (set.seed, RNGkind defaults of R 4.x), rounded, written to the JSON,
# READ BACK, and every value is computed on the read-back data, so Python sees exactly the numbers R used.
#
# Calls (all with levels = c(0, 1), direction = "<": label 0 = control, 1 = case, higher score = case):
#   r <- roc(y, s, levels = c(0, 1), direction = "<", quiet = TRUE)
#   auc(r); var(r, method = "delong"); ci.auc(r, conf.level = L, method = "delong")
#   cov(r1, r2, method = "delong")
#   roc.test(r1, r2, method = "delong", paired = TRUE, alternative = A, conf.level = L)  -> statistic, p.value, conf.int
#   roc.test(r1, r2, method = "delong", paired = FALSE, alternative = A)                -> statistic, parameter, p.value
#   coords(r, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity"))
#   binom.test(k, n, conf.level = L)$conf.int ; prop.test(k, n, conf.level = L, correct = FALSE)$conf.int
suppressPackageStartupMessages({library(pROC); library(jsonlite)})
out_dir <- "tests/data"

set.seed(20250130)
mk <- list()
# 1. continuous, three correlated scores, 40 controls / 60 cases, shuffled order
y <- sample(c(rep(0, 40), rep(1, 60)))
u <- rnorm(100)
mk$normal_40_60 <- list(y = y, a = round(1.2 * y + u, 4), b = round(0.8 * y + 0.7 * u + 0.7 * rnorm(100), 4),
                        c = round(0.5 * y + rnorm(100), 4))
# 2. ordinal ratings 1..5: heavy ties within and between classes
y <- rep(c(0, 1), c(30, 25))
mk$ordinal_ties <- list(y = y, a = pmin(5, pmax(1, round(2.5 + y + rnorm(55)))),
                        b = pmin(5, pmax(1, round(2.8 + 0.6 * y + rnorm(55)))),
                        c = pmin(5, pmax(1, round(3 + 0.2 * y + rnorm(55)))))
# 3. tiny: 3 controls, 2 cases
mk$tiny_3_2 <- list(y = c(0, 1, 0, 1, 0), a = c(0.1, 0.35, 0.4, 0.8, 0.2), b = c(0.3, 0.9, 0.2, 0.1, 0.5),
                    c = c(0.5, 0.5, 0.1, 0.9, 0.5))
# 4. tiny with ties: 2 vs 2
mk$tiny_2_2_ties <- list(y = c(0, 0, 1, 1), a = c(1, 2, 2, 3), b = c(2, 2, 2, 2.5), c = c(1, 1, 1, 1.5))
# 5. perfect separation vs an imperfect score
y <- rep(c(0, 1), c(15, 12))
mk$perfect <- list(y = y, a = round(c(runif(15, 0, 0.45), runif(12, 0.55, 1)), 3), b = round(y * 0.5 + runif(27), 3),
                   c = round(runif(27), 3))
# 6. identical scores (z = 0, p = 1)
y <- rep(c(0, 1), c(20, 20)); s <- round(0.9 * y + rnorm(40), 3)
mk$identical <- list(y = y, a = s, b = s, c = round(s + rnorm(40, sd = 0.3), 3))
# 7. two perfect curves (d = 0, se = 0) and a constant score (se = 0, d = 0.5: z = Inf)
y <- rep(c(0, 1), c(8, 9))
mk$perfect_pair <- list(y = y, a = c(1:8, 11:19), b = c(8:1, 19:11) * 2, c = rep(0.5, 17))
# 8. AUC below 0.5 (kept, never flipped)
y <- rep(c(0, 1), c(35, 45))
mk$below_half <- list(y = y, a = round(-0.8 * y + rnorm(80), 3), b = round(0.8 * y + rnorm(80), 3),
                      c = round(rnorm(80), 3))
# 9. larger sample with rounding ties
y <- rbinom(2000, 1, 0.3); u <- rnorm(2000)
mk$rounded_2000 <- list(y = y, a = round(y + u, 1), b = round(0.7 * y + 0.5 * u + rnorm(2000), 1),
                        c = round(0.3 * y + rnorm(2000), 2))
# 10. a single case: AUC defined, variance and CI NA
mk$one_case <- list(y = c(0, 0, 0, 1), a = c(0.1, 0.5, 0.3, 0.4), b = c(0.2, 0.1, 0.3, 0.9), c = c(0.1, 0.2, 0.3, 0.4))

tmp <- tempfile(fileext = ".json")
writeLines(toJSON(mk, digits = NA), tmp)
data <- fromJSON(tmp, simplifyVector = TRUE)

num <- function(x) if (length(x) == 0 || is.null(x)) NA else as.numeric(x)
R <- function(d, s) roc(d$y, d[[s]], levels = c(0, 1), direction = "<", quiet = TRUE)
single <- list(); paired <- list(); youden <- list()
for (nm in names(data)) {
  d <- data[[nm]]
  for (s in c("a", "b", "c")) {
    r <- R(d, s)
    for (L in c(0.95, 0.9)) {
      ci <- suppressWarnings(ci.auc(r, conf.level = L, method = "delong"))
      single[[length(single) + 1]] <- list(dataset = nm, score = s, level = L, auc = as.numeric(auc(r)),
        variance = suppressWarnings(num(var(r, method = "delong"))), ci_low = num(ci[1]), ci_high = num(ci[3]))
    }
    if (sum(d$y == 1) > 1) {
      co <- suppressWarnings(coords(r, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity"),
                                    transpose = FALSE))
      youden[[length(youden) + 1]] <- list(dataset = nm, score = s, j = max(co$sensitivity + co$specificity - 1),
                                           n_best = nrow(co))
    }
  }
  if (nm == "one_case") next
  for (pr in list(c("a", "b"), c("a", "c"), c("b", "c"))) {
    r1 <- R(d, pr[1]); r2 <- R(d, pr[2])
    cv <- suppressWarnings(cov(r1, r2, method = "delong"))
    for (A in c("two.sided", "greater", "less")) for (L in c(0.95, 0.9)) {
      t <- suppressWarnings(roc.test(r1, r2, method = "delong", paired = TRUE, alternative = A, conf.level = L))
      paired[[length(paired) + 1]] <- list(dataset = nm, score_a = pr[1], score_b = pr[2], alternative = A, level = L,
        auc_a = as.numeric(t$estimate[1]), auc_b = as.numeric(t$estimate[2]), covariance = cv,
        z = num(t$statistic), p_value = num(t$p.value), diff_ci_low = num(t$conf.int[1]), diff_ci_high = num(t$conf.int[2]))
    }
  }
}
unpaired <- list()
for (pr in list(c("normal_40_60", "ordinal_ties"), c("tiny_3_2", "normal_40_60"), c("perfect", "below_half"),
                c("rounded_2000", "identical"), c("tiny_2_2_ties", "tiny_3_2"))) {
  for (s in c("a", "b")) {
    r1 <- R(data[[pr[1]]], s); r2 <- R(data[[pr[2]]], s)
    for (A in c("two.sided", "greater", "less")) {
      t <- suppressWarnings(roc.test(r1, r2, method = "delong", paired = FALSE, alternative = A))
      unpaired[[length(unpaired) + 1]] <- list(dataset_a = pr[1], dataset_b = pr[2], score = s, alternative = A,
        auc_a = as.numeric(t$estimate[1]), auc_b = as.numeric(t$estimate[2]), statistic = num(t$statistic),
        df = num(t$parameter), p_value = num(t$p.value))
    }
  }
}
meta <- list(generated_by = "tests/r/proc_reference.R", r_version = R.version.string,
             proc_version = as.character(packageVersion("pROC")), jsonlite_version = as.character(packageVersion("jsonlite")))
writeLines(toJSON(list(meta = meta, data = data, single = single, paired = paired, unpaired = unpaired, youden = youden),
                  digits = I(17), auto_unbox = TRUE, na = "string", pretty = FALSE),
           file.path(out_dir, "proc_delong.json"))

binom <- list()
for (n in c(1, 2, 3, 5, 10, 37, 79, 100, 212, 1000, 5000)) {
  for (k in sort(unique(c(0, 1, floor(n / 3), floor(n / 2), n - 1, n)))) {
    if (k < 0 || k > n) next
    for (L in c(0.9, 0.95, 0.99)) {
      e <- binom.test(k, n, conf.level = L)$conf.int
      w <- suppressWarnings(prop.test(k, n, conf.level = L, correct = FALSE)$conf.int)
      binom[[length(binom) + 1]] <- list(k = k, n = n, level = L, exact_low = e[1], exact_high = e[2],
                                         wilson_low = w[1], wilson_high = w[2])
    }
  }
}
writeLines(toJSON(list(meta = meta, binom = binom), digits = I(17), auto_unbox = TRUE, pretty = FALSE),
           file.path(out_dir, "proc_binom.json"))
cat("wrote", length(single), "single,", length(paired), "paired,", length(unpaired), "unpaired,", length(binom), "binom\n")
