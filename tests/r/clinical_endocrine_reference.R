# Reference values for tests/clinical/test_clinical.py, tests/clinical/test_hybrid.py, tests/clinical/test_calibration.py,
# tests/endocrine/test_endocrine.py and tests/endocrine/test_strata.py.
#
# Regenerate (from the repository root; R 4.2.2 with car 3.1.1 and jsonlite 1.8.4):
#     Rscript tests/r/clinical_endocrine_reference.R
# Writes tests/data/clinical_endocrine_reference.json. CI has no R: the tests only read the JSON.
# Datasets are built here (set.seed, R 4.x default RNG), rounded, written to the JSON, READ BACK, and every value is
# computed on the read-back data, so Python sees exactly the numbers R used.
#
# Calls:
#   glm(y ~ x1 + x2 + x3 + sex, family = binomial)   after x3[is.na(x3)] <- median(x3, na.rm = TRUE)
#     -> coef(), sqrt(diag(vcov())), logLik(); anova(reduced, full, test = "Chisq") for dropping x3
#   car::vif(lm(y ~ x1 + x2 + x3 + x4))   and the manual 1 / (1 - summary(lm(xj ~ others))$r.squared)
#   p.adjust(p, method = "BH")
#   friedman.test(m)   m = blocks (rows) x treatments (columns)
#   cor.test(x, y, method = "pearson")$estimate / $p.value / $conf.int
#   cor.test(x, y, method = "spearman", exact = FALSE)$estimate / $p.value
#   glm(y ~ qlogis(p), binomial) slope; glm(y ~ 1, offset = qlogis(p), binomial) intercept; mean((p - y)^2)
suppressPackageStartupMessages({library(jsonlite); library(car)})
out <- "tests/data/clinical_endocrine_reference.json"
set.seed(20250130)

# 1. logistic regression with a missing continuous value and a factor
n <- 250
x1 <- round(rnorm(n), 4)
x2 <- rbinom(n, 1, 0.4)
x3 <- round(rlnorm(n, 1, 0.6), 4)
sex <- sample(c("F", "M"), n, replace = TRUE)
lp <- -0.5 + 0.9 * x1 + 0.7 * x2 - 0.15 * x3 + 0.4 * (sex == "M")
y <- rbinom(n, 1, plogis(lp))
x3[c(5, 17, 99)] <- NA
glm_data <- list(y = y, x1 = x1, x2 = x2, x3 = x3, sex = sex)

# 2. VIF data: x4 collinear with x1
m <- 120
v1 <- round(rnorm(m), 4); v2 <- round(rnorm(m), 4); v3 <- round(0.5 * v2 + rnorm(m), 4)
v4 <- round(0.9 * v1 + 0.3 * rnorm(m), 4); vy <- round(v1 + rnorm(m), 4)
vif_data <- list(y = vy, x1 = v1, x2 = v2, x3 = v3, x4 = v4)

# 3. BH p values (with ties and a 1)
bh_p <- c(0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216, 0.222, 0.251, 0.269, 0.275, 1, 0.041)

# 4. Friedman: the paper's Table 3 (rows = AUC, accuracy, sensitivity, specificity; columns = complete, incomplete,
#    none) and a matrix with ties
friedman_paper <- rbind(c(0.678, 0.575, 0.517), c(0.6789, 0.5543, 0.4432), c(0.6321, 0.5956, 0.5954),
                        c(0.5758, 0.5354, 0.4811))
friedman_ties <- rbind(c(1, 2, 2), c(3, 1, 2), c(2, 2, 3), c(1, 3, 2), c(2, 1, 1))

# 5. correlations
k <- 80
cx <- round(rnorm(k), 4); cy <- round(0.4 * cx + rnorm(k), 4); cz <- round(exp(0.3 * cx + rnorm(k)), 4)

# 6. calibration
q <- 300
cp <- round(plogis(rnorm(q, 0, 1.3)), 4)
cyy <- rbinom(q, 1, plogis(0.3 + 0.7 * qlogis(cp)))

data <- list(glm = glm_data, vif = vif_data, bh_p = bh_p, friedman_paper = friedman_paper,
             friedman_ties = friedman_ties, corr = list(x = cx, y = cy, z = cz), calib = list(y = cyy, p = cp))
data <- fromJSON(toJSON(data, digits = NA, na = "null"))

# --- computations on the read-back data ---
g <- data$glm
g$x3[is.na(g$x3)] <- median(g$x3, na.rm = TRUE)
d <- data.frame(y = g$y, x1 = g$x1, x2 = g$x2, x3 = g$x3, sex = factor(g$sex, levels = c("F", "M")))
full <- glm(y ~ x1 + x2 + x3 + sex, family = binomial, data = d)
reduced <- glm(y ~ x1 + x2 + sex, family = binomial, data = d)
a <- anova(reduced, full, test = "Chisq")
res_glm <- list(coef = unname(coef(full)), se = unname(sqrt(diag(vcov(full)))), loglik = as.numeric(logLik(full)),
                terms = names(coef(full)), x3_median = median(data$glm$x3, na.rm = TRUE),
                lrt_stat = a$Deviance[2], lrt_df = a$Df[2], lrt_p = a[["Pr(>Chi)"]][2],
                reduced_loglik = as.numeric(logLik(reduced)))

vd <- as.data.frame(data$vif)
res_vif <- list(car = unname(car::vif(lm(y ~ x1 + x2 + x3 + x4, data = vd))),
                manual = sapply(c("x1", "x2", "x3", "x4"), function(v) {
                  others <- setdiff(c("x1", "x2", "x3", "x4"), v)
                  1 / (1 - summary(lm(reformulate(others, v), data = vd))$r.squared)
                }, USE.NAMES = FALSE))

res_bh <- p.adjust(data$bh_p, method = "BH")

fp <- friedman.test(data$friedman_paper)
ft <- friedman.test(data$friedman_ties)
res_friedman <- list(paper = list(statistic = unname(fp$statistic), df = unname(fp$parameter), p = fp$p.value),
                     ties = list(statistic = unname(ft$statistic), df = unname(ft$parameter), p = ft$p.value))

cc <- data$corr
pe <- cor.test(cc$x, cc$z, method = "pearson")
sp <- cor.test(cc$x, cc$z, method = "spearman", exact = FALSE)
sp2 <- cor.test(cc$x, cc$y, method = "spearman", exact = FALSE)
rs <- unname(sp$estimate); nn <- length(cc$x)
bw_se <- sqrt((1 + rs^2 / 2) / (nn - 3))
res_corr <- list(pearson = list(r = unname(pe$estimate), p = pe$p.value, ci = unname(pe$conf.int)),
                 spearman = list(r = rs, p = sp$p.value,
                                 ci_bonett_wright = tanh(atanh(rs) + c(-1, 1) * qnorm(0.975) * bw_se),
                                 ci_fisher = tanh(atanh(rs) + c(-1, 1) * qnorm(0.975) / sqrt(nn - 3))),
                 spearman_xy = list(r = unname(sp2$estimate), p = sp2$p.value))

ca <- data$calib
lpc <- qlogis(ca$p)
res_cal <- list(slope = unname(coef(glm(ca$y ~ lpc, family = binomial))[2]),
                intercept = unname(coef(glm(ca$y ~ 1, offset = lpc, family = binomial))[1]),
                brier = mean((ca$p - ca$y)^2))

write(toJSON(list(about = paste("Rscript tests/r/clinical_endocrine_reference.R;", R.version.string, "; car",
                                as.character(packageVersion("car")), "; jsonlite",
                                as.character(packageVersion("jsonlite"))),
                  data = data, glm = res_glm, vif = res_vif, bh = res_bh, friedman = res_friedman, corr = res_corr,
                  calibration = res_cal), digits = NA, auto_unbox = TRUE, na = "null"), out)
cat("wrote", out, "\n")
