#!/usr/bin/env Rscript
# =============================================================================
# score_psych.R -- R psych reference figures for the SELF-CONTAINED fixtures of
# this folder (synthetic answers written by make_data.py), against which
# Boussole's scoring is tested to 1e-9 by tests/scoring/test_reference_psych.py.
#
# Usage (from the project root):
#     .venv/bin/python tests/scoring/reference/make_data.py   # inputs (seeded)
#     Rscript tests/scoring/reference/score_psych.R           # outputs
#
# Inputs, read from THIS script's folder whatever the working directory:
#   keys.json      per instrument: its data file, item columns and, per scale,
#                  psych keys ("-X" = reverse keyed), the coding min / max of
#                  the scale's items, the Boussole method and ipsative group;
#                  all derived from instruments/builtin/*.yaml by make_data.py
#   <id>.csv       wide answers: id, then one column per item; empty = missing
#
# Outputs, into this folder:
#   <id>.scores_psych.csv   one row per input row, input order:
#       id; then per scale, keys.json order:
#       S.mean  psych::scoreItems(keys, items, impute = "none", totals = FALSE,
#               min = MIN, max = MAX)$scores   (NaN: no item answered)
#       S.sum   the same with totals = TRUE    (0: no item answered)
#       S.n     number of answered items of S  (base R: rowSums(!is.na(x)))
#       S.ipsative  only for scales with an ipsative group: S.mean minus the
#               mean of that row's non-NaN S.mean over the group's scales
#               (base R arithmetic on psych's means; psych has no ipsative
#               scoring of its own)
#     Two leading '#' provenance lines: pandas.read_csv(path, comment="#").
#   alpha_psych.json   per instrument, per scale of 2+ items: complete cases
#       of its items, '-' items recoded as (min + max) - x, then
#       psych::alpha(x, check.keys = FALSE): n_complete, raw_alpha, std.alpha,
#       scale_score {n, mean, sd} of the per-row mean of the keyed items, and
#       per item (keys order) r.drop, alpha_if_deleted (alpha.drop raw_alpha),
#       mean, sd (of the recoded item, sd with n - 1).
#       "meta" records the R, psych and jsonlite versions, the date and the
#       MD5 of every input file; the CSV headers carry the same versions.
#
# scoreItems() takes ONE min / max per call for reverse keying, so the scales
# of an instrument are scored in groups of equal coding range (e.g. the 1-5
# importance ratings and the 1-6 rankings of valeurs-travail), one call per
# group.  Every number is written with 17 significant digits ("%.17g"), which
# round-trips an IEEE double; JSON is written by the same small serializer as
# tests/scoring/golden/make_reference.R (jsonlite's writer caps numbers at 15
# significant digits; jsonlite is used to read keys.json and to re-read the
# output as a check).  The stopifnot() calls check scoreItems against an
# independent rowMeans / rowSums recomputation.
# =============================================================================

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

# ---- 0. Locations and provenance ------------------------------------------

script_dir <- local({
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(file_arg) == 1) {
    dirname(normalizePath(sub("^--file=", "", file_arg)))
  } else {
    normalizePath(".")
  }
})

spec <- jsonlite::fromJSON(file.path(script_dir, "keys.json"),
                           simplifyVector = FALSE)
instruments <- spec$instruments
input_files <- c("keys.json", vapply(instruments, function(i) i$data, ""))
names(input_files) <- NULL

meta <- list(
  generator = "tests/scoring/reference/score_psych.R",
  R_version = R.version.string,
  psych_version = as.character(packageVersion("psych")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  date = format(Sys.Date(), "%Y-%m-%d"),
  input_md5 = as.list(setNames(
    unname(tools::md5sum(file.path(script_dir, input_files))), input_files))
)

# ---- 1. Helpers (as in tests/scoring/golden/make_reference.R) --------------

fmt17 <- function(x) ifelse(is.na(x), "", sprintf("%.17g", x))
fmt17_nan <- function(x) ifelse(is.nan(x), "NaN", fmt17(x))

json_escape <- function(s) {
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  paste0("\"", s, "\"")
}
json_scalar <- function(v) {
  if (is.na(v)) return("null")
  if (is.logical(v)) return(if (v) "true" else "false")
  if (is.integer(v)) return(as.character(v))
  if (is.numeric(v)) {
    if (!is.finite(v)) return("null")
    return(sprintf("%.17g", v))
  }
  json_escape(as.character(v))
}
to_json <- function(x, indent = 0) {
  pad <- strrep("  ", indent + 1)
  end <- strrep("  ", indent)
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    parts <- vapply(x, to_json, "", indent = indent + 1)
    if (!is.null(names(x))) {
      parts <- paste0(json_escape(names(x)), ": ", parts)
      return(paste0("{\n", pad, paste(parts, collapse = paste0(",\n", pad)),
                    "\n", end, "}"))
    }
    return(paste0("[\n", pad, paste(parts, collapse = paste0(",\n", pad)),
                  "\n", end, "]"))
  }
  if (length(x) == 1) return(json_scalar(unname(x)))
  paste0("[", paste(vapply(as.list(x), json_scalar, ""), collapse = ", "), "]")
}
write_json17 <- function(x, path) {
  writeLines(to_json(x), path, useBytes = TRUE)
  invisible(jsonlite::fromJSON(path, simplifyVector = FALSE))
}

parse_keys <- function(keys) {
  list(item = sub("^-", "", keys), reversed = startsWith(keys, "-"))
}

# Items of one scale, reverse-keyed ones recoded explicitly as (min + max) - x.
keyed_items <- function(data, sc) {
  k <- parse_keys(unlist(sc$keys))
  x <- as.data.frame(lapply(k$item, function(i) as.numeric(data[[i]])))
  names(x) <- k$item
  x[k$reversed] <- lapply(x[k$reversed], function(v) (sc$min + sc$max) - v)
  x
}

score_items_none <- function(keys, items, totals, lo, hi) {
  withCallingHandlers(
    psych::scoreItems(keys, items, totals = totals, impute = "none",
                      min = lo, max = hi, select = FALSE)$scores,
    warning = function(w) {
      if (grepl("totals = TRUE without imputation", conditionMessage(w)))
        invokeRestart("muffleWarning")
    })
}

alpha_block <- function(data, sc) {
  k <- parse_keys(unlist(sc$keys))
  x <- keyed_items(data, sc)
  x <- x[stats::complete.cases(x), , drop = FALSE]
  a <- psych::alpha(x, check.keys = FALSE, warnings = FALSE)
  score <- rowMeans(x)
  stopifnot(abs(a$total$mean - mean(score)) < 1e-12,
            abs(a$total$sd - stats::sd(score)) < 1e-12)
  items <- lapply(seq_along(k$item), function(j) {
    list(item = k$item[j],
         reversed = k$reversed[j],
         r.drop = a$item.stats[k$item[j], "r.drop"],
         alpha_if_deleted = a$alpha.drop[k$item[j], "raw_alpha"],
         mean = a$item.stats[k$item[j], "mean"],
         sd = a$item.stats[k$item[j], "sd"])
  })
  list(keys = sc$keys,
       n_complete = nrow(x),
       raw_alpha = a$total$raw_alpha,
       std.alpha = a$total$std.alpha,
       scale_score = list(n = nrow(x), mean = mean(score), sd = stats::sd(score)),
       items = items)
}

# ---- 2. Scores and reliabilities per instrument -----------------------------

alphas <- list()
for (inst_id in names(instruments)) {
  inst <- instruments[[inst_id]]
  item_cols <- unlist(inst$items)
  data <- read.csv(file.path(script_dir, inst$data),
                   colClasses = c(id = "character"), na.strings = "")
  stopifnot(nrow(data) == inst$rows, identical(names(data), c("id", item_cols)))
  for (col in item_cols) data[[col]] <- as.numeric(data[[col]])
  scales <- inst$scales

  # scoreItems, one call per coding range (its min / max are per call).
  ranges <- vapply(scales, function(sc) paste(sc$min, sc$max), "")
  means <- list()
  sums <- list()
  for (r in unique(ranges)) {
    group <- scales[ranges == r]
    keys <- lapply(group, function(sc) unlist(sc$keys))
    lo <- group[[1]]$min
    hi <- group[[1]]$max
    # All item columns with select = FALSE: with the default select = TRUE,
    # scoreItems fails when its keys name a single item (a one-column subset
    # drops to a vector).  min / max are explicit, so the other columns do not
    # change the keying; the stopifnot() below checks every score.
    m <- score_items_none(keys, data[, item_cols], FALSE, lo, hi)
    s <- score_items_none(keys, data[, item_cols], TRUE, lo, hi)
    stopifnot(nrow(m) == nrow(data), identical(colnames(m), names(group)),
              identical(colnames(s), names(group)))
    for (sid in names(group)) {
      means[[sid]] <- unname(m[, sid])
      sums[[sid]] <- unname(s[, sid])
    }
  }

  out <- data.frame(id = data$id, stringsAsFactors = FALSE)
  for (sid in names(scales)) {
    sc <- scales[[sid]]
    x <- keyed_items(data, sc)
    n_answered <- rowSums(!is.na(x))
    # Independent recomputation with the semantics of the golden README.
    stopifnot(isTRUE(all.equal(means[[sid]], rowMeans(x, na.rm = TRUE),
                               tolerance = 1e-14)),
              isTRUE(all.equal(sums[[sid]], rowSums(x, na.rm = TRUE),
                               tolerance = 1e-14)),
              all(is.nan(means[[sid]]) == (n_answered == 0)),
              all(sums[[sid]][n_answered == 0] == 0))
    out[[paste0(sid, ".mean")]] <- fmt17_nan(means[[sid]])
    out[[paste0(sid, ".sum")]] <- fmt17(sums[[sid]])
    out[[paste0(sid, ".n")]] <- as.character(n_answered)
  }
  groups <- unique(unlist(lapply(scales, function(sc) sc$ipsative_group)))
  for (g in groups) {
    members <- names(scales)[vapply(scales, function(sc)
      identical(sc$ipsative_group, g), TRUE)]
    mm <- sapply(members, function(sid) means[[sid]])
    centre <- rowMeans(mm, na.rm = TRUE)
    for (sid in members)
      out[[paste0(sid, ".ipsative")]] <- fmt17_nan(means[[sid]] - centre)
  }

  path <- file.path(script_dir, paste0(inst_id, ".scores_psych.csv"))
  con <- file(path, "w")
  writeLines(c(
    sprintf("# %s; psych %s; generated %s by %s from %s (md5 %s)",
            meta$R_version, meta$psych_version, meta$date, meta$generator,
            inst$data, meta$input_md5[[inst$data]]),
    "# S.mean/S.sum: psych::scoreItems(keys, items, impute=\"none\", min, max) totals=FALSE/TRUE; S.n: answered items; S.ipsative: S.mean - row mean of the group's means; NaN = R NaN"
  ), con)
  write.csv(out, con, row.names = FALSE, quote = FALSE, na = "")
  close(con)

  multi <- scales[vapply(scales, function(sc) length(sc$keys) >= 2, TRUE)]
  alphas[[inst_id]] <- lapply(multi, function(sc) alpha_block(data, sc))
}

write_json17(
  list(meta = c(meta, list(method = paste(
         "Per scale of 2+ items: complete cases of its items; '-' items",
         "recoded as (min + max) - x; psych::alpha(x, check.keys = FALSE).",
         "r.drop = item.stats r.drop; alpha_if_deleted = alpha.drop raw_alpha;",
         "mean/sd = item.stats (of the recoded item, sd with n - 1);",
         "scale_score = mean of the keyed items per row, its mean and sd."))),
       instruments = alphas),
  file.path(script_dir, "alpha_psych.json"))

# ---- 3. Summary on stdout ---------------------------------------------------

cat(sprintf("%s; psych %s; %s\n", meta$R_version, meta$psych_version, meta$date))
for (inst_id in names(alphas)) {
  cat(sprintf("%s (%d rows):\n", inst_id, instruments[[inst_id]]$rows))
  for (sid in names(alphas[[inst_id]])) {
    a <- alphas[[inst_id]][[sid]]
    cat(sprintf("  %-30s n=%4d  raw_alpha=%.4f\n", sid, a$n_complete, a$raw_alpha))
  }
}
