# Reference values for tests/clinical/test_tied_patterns.py: a fitted logistic model whose predictions tie.
#
# Regenerate (from the repository root; needs R >= 4 with pROC 1.18.0 and jsonlite):
#     Rscript tests/r/tied_patterns_reference.R
# Reads tests/data/tied_patterns.csv and writes tests/data/tied_patterns_reference.json. CI has no R: the test only
# reads the JSON.
#
# The data: 134 subjects, five binary predictors b0..b4 and two "laboratory values" tsh and gh rounded to two
# decimals, drawn from 21 covariate patterns, outcome y (80 cases, 54 controls); 18 patterns hold both cases and
# controls, so the fitted model ties cases with controls. They were drawn once with numpy (default_rng(294)) and are
# committed as they are; on them a BLAS matrix-vector product of the design and the coefficients gives two members
# of one pattern different last bits and the AUC of the fitted model then depends on the order of the rows.
#
# Calls:
#   fit <- glm(y ~ b0 + b1 + b2 + b3 + b4 + tsh + gh, family = binomial, data = d)   -> coef(fit)
#   lp  <- predict(fit, type = "link")
#   r   <- roc(d$y, lp, levels = c(0, 1), direction = "<", quiet = TRUE)
#   auc(r); var(r, method = "delong"); ci.auc(r, method = "delong")
#   the same on the rows in reverse order (rev_auc): R's AUC does not depend on the order.
suppressPackageStartupMessages({library(pROC); library(jsonlite)})
d <- read.csv("tests/data/tied_patterns.csv")
form <- y ~ b0 + b1 + b2 + b3 + b4 + tsh + gh
fit <- glm(form, family = binomial, data = d)
lp <- predict(fit, type = "link")
r <- roc(d$y, lp, levels = c(0, 1), direction = "<", quiet = TRUE)
ci <- ci.auc(r, method = "delong")
d_rev <- d[rev(seq_len(nrow(d))), ]
fit_rev <- glm(form, family = binomial, data = d_rev)
r_rev <- roc(d_rev$y, predict(fit_rev, type = "link"), levels = c(0, 1), direction = "<", quiet = TRUE)
out <- list(
  meta = list(generated_by = "tests/r/tied_patterns_reference.R", r_version = R.version.string,
              proc_version = as.character(packageVersion("pROC")),
              jsonlite_version = as.character(packageVersion("jsonlite"))),
  coef = as.list(coef(fit)),
  n_distinct_lp = length(unique(lp)),
  auc = as.numeric(auc(r)), var = as.numeric(var(r, method = "delong")),
  ci_low = ci[1], ci_high = ci[3],
  rev_auc = as.numeric(auc(r_rev)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), "tests/data/tied_patterns_reference.json")
