#!/usr/bin/env Rscript
# =============================================================================
# bench_psych.R -- time psych's two scoring functions on a wide item matrix,
# as a yardstick for Boussole's own scorer.
#
# Usage:
#     Rscript tests/scoring/golden/bench_psych.R ITEMS.csv KEYS.json [REPS]
# e.g.
#     Rscript tests/scoring/golden/bench_psych.R ../shared/data/spi.csv \
#         ../shared/data/spi_keys.json
#
#   ITEMS.csv  wide numeric matrix, one row per respondent; the columns named
#              q_* are the items (any other column, e.g. age or id, is
#              ignored).  Missing cells empty.
#   KEYS.json  {"Scale": ["q_1", "-q_2", ...], ...}; a leading "-" marks a
#              reverse-keyed item.  Passed to psych as a keys LIST, which both
#              scoreItems and scoreFast accept (they call make.keys on it).
#   REPS       optional, default 1: each function is run REPS times and the
#              MEDIAN elapsed time is printed.
#
# Output (stdout), one line per function, elapsed wall-clock seconds from
# system.time():
#     scoreItems_seconds=0.42
#     scoreFast_seconds=0.05
# plus a few '#' lines of context (sizes, versions).
#
# Note: scoreItems computes much more than scores (item-scale correlations,
# alpha, G6, scale intercorrelations...); scoreFast only computes the scores.
# Both use impute = "none" here: scores are the mean of the answered items.
# =============================================================================

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2) {
  stop("usage: Rscript bench_psych.R ITEMS.csv KEYS.json [REPS]")
}
items_path <- args[1]
keys_path <- args[2]
reps <- if (length(args) >= 3) as.integer(args[3]) else 1L
stopifnot(!is.na(reps), reps >= 1)

# Load data (outside the timed region).
raw <- read.csv(items_path, check.names = FALSE)
item_cols <- grep("^q_", names(raw), value = TRUE)
if (length(item_cols) == 0) stop("no q_* column in ", items_path)
items <- as.matrix(raw[, item_cols])
storage.mode(items) <- "double"

# Keys: a named list of character vectors, "-" prefix = reversed.
keys <- jsonlite::fromJSON(keys_path, simplifyVector = TRUE)

time_it <- function(f) {
  t <- vapply(seq_len(reps), function(i) {
    gc(FALSE)
    unname(system.time(f())["elapsed"])
  }, numeric(1))
  stats::median(t)
}

si <- time_it(function() psych::scoreItems(keys, items, impute = "none"))
sf <- time_it(function() psych::scoreFast(keys, items, impute = "none"))

cat(sprintf("# %s; psych %s; %d rows x %d item columns; %d scales; reps=%d\n",
            R.version.string, as.character(packageVersion("psych")),
            nrow(items), ncol(items), length(keys), reps))
cat(sprintf("scoreItems_seconds=%.3f\n", si))
cat(sprintf("scoreFast_seconds=%.3f\n", sf))
