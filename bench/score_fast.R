#!/usr/bin/env Rscript
# score_fast.R -- the R yardstick of bench/bench_batch.py, timed end to end from outside:
# read.csv of the answers, psych::scoreFast (scale means of the answered items), write.csv
# of the scale means.
#
# Usage: Rscript bench/score_fast.R ANSWERS.csv KEYS.json MEANS.csv
#   KEYS.json  {"Scale": ["q_1", "-q_2", ...], ...}; "-" marks a reverse-keyed item.
suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 3)
raw <- read.csv(args[1], check.names = FALSE)
items <- as.matrix(raw[, grep("^q_", names(raw), value = TRUE)])
keys <- jsonlite::fromJSON(args[2], simplifyVector = TRUE)
scores <- psych::scoreFast(keys, items, totals = FALSE, impute = "none")
rownames(scores) <- raw$id
write.csv(scores, args[3])
