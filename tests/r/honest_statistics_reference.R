# Reference values for the GVIF and the optimism bootstrap of the clinical models
# (tests/clinical/test_honest_statistics.py). Run from the repository root:
#   Rscript tests/r/honest_statistics_reference.R > tests/data/honest_statistics_reference.json
# R 4.2.2 (Debian r-base-core), car 3.1.1 (r-cran-car), rms 6.5.0 (r-cran-rms), jsonlite.
suppressPackageStartupMessages({library(car); library(rms); library(jsonlite)})
data(infert)
infert$education <- factor(infert$education, levels = c("0-5yrs", "6-11yrs", "12+ yrs"))

# 1. GVIF: car::vif on an lm with a three-level factor and numeric terms (Fox & Monette 1992).
m <- lm(case ~ education + age + parity + induced + spontaneous, data = infert)
g <- car::vif(m)

# 2. Harrell's optimism bootstrap of a logistic model, with the bootstrap samples given (so that the Python
#    implementation can use the same ones): for each sample, fit on it, evaluate on it and on the original data;
#    optimism = mean(apparent_boot - test_orig); corrected = apparent - optimism. The statistics are the AUC
#    (Dxy / 2 + 0.5) and the calibration slope (coefficient of the linear predictor).
fit_stats <- function(fit_data, eval_data) {
  f <- glm(case ~ age + parity + induced + spontaneous, family = binomial, data = fit_data)
  lp <- predict(f, newdata = eval_data, type = "link")
  y <- eval_data$case
  auc <- as.numeric(rcorr.cens(lp, y)["C Index"])
  slope <- unname(coef(glm(y ~ lp, family = binomial))[2])
  c(auc = auc, slope = slope)
}
set.seed(20250130)
B <- 50
idx <- replicate(B, sample(nrow(infert), replace = TRUE))  # columns = samples, 1-based
app <- fit_stats(infert, infert)
opt <- rowMeans(sapply(seq_len(B), function(b) {
  d <- infert[idx[, b], ]
  fit_stats(d, d) - fit_stats(d, infert)
}))
# rms::validate itself (its own resampling) for a statistical comparison
f <- lrm(case ~ age + parity + induced + spontaneous, data = infert, x = TRUE, y = TRUE)
set.seed(1)
v <- rms::validate(f, B = 2000)

cat(toJSON(list(
  infert = list(case = infert$case, education = as.character(infert$education), age = infert$age,
                parity = infert$parity, induced = infert$induced, spontaneous = infert$spontaneous),
  gvif = list(term = rownames(g), gvif = unname(g[, "GVIF"]), df = unname(g[, "Df"]),
              gvif_adj = unname(g[, "GVIF^(1/(2*Df))"])),
  optimism = list(indices = idx - 1L, apparent = as.list(app), optimism = as.list(opt),
                  corrected = as.list(app - opt)),
  validate = list(dxy_index = v["Dxy", "index.orig"], dxy_corrected = v["Dxy", "index.corrected"],
                  slope_corrected = v["Slope", "index.corrected"], B = 2000)
), digits = NA, auto_unbox = TRUE))
