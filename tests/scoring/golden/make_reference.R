#!/usr/bin/env Rscript
# =============================================================================
# make_reference.R -- reference ("golden") figures computed with R's psych
# package, against which Boussole's Python scoring code is tested (to 1e-9).
#
# Usage (from the project root):
#     Rscript tests/scoring/golden/make_reference.R ../shared/data
#
# The single optional argument is the folder holding bfi.csv, bfi_keys.json,
# spi.csv and spi_keys.json.  Without it, ../../../../shared/data relative to
# this script's folder is used (i.e. shared/data beside the project checkout).
# All outputs are written into THIS script's folder, whatever the working
# directory:
#
#   bfi_scores_psych.csv       per-respondent bfi scale scores (mean and sum)
#                              from psych::scoreItems(impute = "none")
#   bfi_alpha_psych.json       Cronbach's alpha and item statistics per bfi
#                              scale, complete cases of each scale
#   spi_alpha_psych.json       the same for the 32 SPI scales, age >= 18,
#                              plus mean / sd of the scale mean score
#   spi_bilan_alpha_psych.json the same for the 31 scales of spi-135 2.0.0
#                              (SPI keys minus 8 items left out, section 5b)
#   scoreitems_missing_demo.csv  tiny SYNTHETIC data set showing how
#                              scoreItems(impute = "none") treats missing cells
#                              (the real bfi data has no respondent with all
#                              items of a scale missing, so the edge case is
#                              shown here)
#
# Every number is written with 17 significant digits ("%.17g"), which
# round-trips an IEEE double exactly.  jsonlite is used only to READ the keys:
# its writer caps numbers at 15 significant digits, so JSON is written by the
# small serializer below.
#
# ---------------------------------------------------------------------------
# FINDINGS: psych::scoreItems(keys, items, impute = "none", min = 1, max = 6)
# (read from the psych 2.2.9 source and checked by the stopifnot() calls in
# section 3 below)
#
#   * Reverse-keyed items are recoded as (min + max) - x = 7 - x before
#     anything else.  If min / max are NOT given, scoreItems takes them as the
#     minimum / maximum over the WHOLE item matrix, so we pass them explicitly.
#   * totals = FALSE: score = rowMeans(keyed items, na.rm = TRUE), i.e. the
#     mean of the items the respondent ANSWERED (no proration, no imputation).
#     A respondent with ALL items of the scale missing gets NaN (0/0).
#   * totals = TRUE:  score = rowSums(keyed items, na.rm = TRUE), i.e. the sum
#     of the ANSWERED items only -- NOT prorated to the full item count, so a
#     partially missing row gets a smaller sum (psych warns "Specifying
#     totals = TRUE without imputation can lead to serious problems").
#     A respondent with ALL items of the scale missing gets 0, not NA.
#     Consequently, with missing cells, sum != mean * n_items; it equals
#     mean * (number of answered items).
#   * Rows are never dropped (missing = TRUE); the output has one row per
#     input row, in input order, one column per key in key order.
#   * (Not relevant here, but beware: scoreItems silently DROPS an item that
#     has zero variance or is entirely NA, with a warning, when delete = TRUE.)
#   * The alpha reported by scoreItems itself uses pairwise covariances of all
#     rows; the alpha figures in the JSON files instead come from
#     psych::alpha on complete cases (see section 4), as the tests require.
# ---------------------------------------------------------------------------
# =============================================================================

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

# ---- 0. Locations -----------------------------------------------------------

# Folder of this script (works with Rscript; falls back to the working dir).
script_dir <- local({
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(file_arg) == 1) {
    dirname(normalizePath(sub("^--file=", "", file_arg)))
  } else {
    normalizePath(".")
  }
})

args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args) >= 1) args[1] else
  file.path(script_dir, "..", "..", "..", "..", "shared", "data")
data_dir <- normalizePath(data_dir, mustWork = TRUE)
out_dir <- script_dir

ITEM_MIN <- 1
ITEM_MAX <- 6

# Provenance recorded in every output.
input_files <- c("bfi.csv", "bfi_keys.json", "spi.csv", "spi_keys.json")
meta <- list(
  generator = "tests/scoring/golden/make_reference.R",
  R_version = R.version.string,
  psych_version = as.character(packageVersion("psych")),
  date = format(Sys.Date(), "%Y-%m-%d"),
  input_md5 = as.list(setNames(
    unname(tools::md5sum(file.path(data_dir, input_files))), input_files))
)

# ---- 1. Helpers ---------------------------------------------------------------

# 17 significant digits; NA / NaN become "" (CSV) -- callers decide.
fmt17 <- function(x) ifelse(is.na(x), "", sprintf("%.17g", x))

# Minimal JSON serializer with full double precision.
#   named list -> object; unnamed list -> array; length-1 atomic -> scalar;
#   longer atomic vectors -> array.  NA/NaN -> null.
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
  # Sanity: the file must parse, and numbers must survive the round trip.
  invisible(jsonlite::fromJSON(path, simplifyVector = FALSE))
}

# Split "-A1" style keys into item names and a reversed flag.
parse_keys <- function(keys) {
  list(item = sub("^-", "", keys), reversed = startsWith(keys, "-"))
}

# Items of one scale with reverse-keyed items recoded explicitly as 7 - x.
keyed_items <- function(data, keys) {
  k <- parse_keys(keys)
  x <- as.data.frame(lapply(k$item, function(i) as.numeric(data[[i]])))
  names(x) <- k$item
  x[k$reversed] <- lapply(x[k$reversed], function(v) (ITEM_MIN + ITEM_MAX) - v)
  x
}

# scoreItems with impute = "none"; the totals = TRUE warning is expected and
# muffled (its content is documented in the header).
score_items_none <- function(keys, items, totals) {
  withCallingHandlers(
    psych::scoreItems(keys, items, totals = totals, impute = "none",
                      min = ITEM_MIN, max = ITEM_MAX)$scores,
    warning = function(w) {
      if (grepl("totals = TRUE without imputation", conditionMessage(w)))
        invokeRestart("muffleWarning")
    })
}

# Reliability of one scale: complete cases of THAT scale's items, reverse
# items recoded as 7 - x beforehand, psych::alpha(check.keys = FALSE).
alpha_block <- function(data, keys) {
  k <- parse_keys(keys)
  x <- keyed_items(data, keys)
  x <- x[stats::complete.cases(x), , drop = FALSE]
  a <- psych::alpha(x, check.keys = FALSE, warnings = FALSE)
  # Scale mean score = mean of the keyed items, per respondent.
  score <- rowMeans(x)
  # Cross-check with psych's own total (cumulative = FALSE -> item mean).
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
  list(keys = as.list(keys),
       n_complete = nrow(x),
       raw_alpha = a$total$raw_alpha,
       std.alpha = a$total$std.alpha,
       scale_score = list(n = nrow(x), mean = mean(score), sd = stats::sd(score)),
       items = items)
}

# ---- 2. bfi scale scores --------------------------------------------------------

bfi <- read.csv(file.path(data_dir, "bfi.csv"))
bfi_keys <- jsonlite::fromJSON(file.path(data_dir, "bfi_keys.json"),
                               simplifyVector = TRUE)
bfi_item_names <- unique(parse_keys(unlist(bfi_keys))$item)
bfi_items <- bfi[, bfi_item_names]

means <- score_items_none(bfi_keys, bfi_items, totals = FALSE)
sums <- score_items_none(bfi_keys, bfi_items, totals = TRUE)
stopifnot(nrow(means) == nrow(bfi), identical(colnames(means), names(bfi_keys)))

out <- data.frame(id = as.character(bfi$id), stringsAsFactors = FALSE)
for (s in names(bfi_keys)) {
  # Independent re-computation: same semantics as documented in the header.
  x <- keyed_items(bfi, bfi_keys[[s]])
  stopifnot(isTRUE(all.equal(unname(means[, s]), rowMeans(x, na.rm = TRUE),
                             tolerance = 1e-14)),
            isTRUE(all.equal(unname(sums[, s]), rowSums(x, na.rm = TRUE),
                             tolerance = 1e-14)))
  out[[paste0(s, ".mean")]] <- fmt17(means[, s])
  out[[paste0(s, ".sum")]] <- fmt17(sums[, s])
}
csv_path <- file.path(out_dir, "bfi_scores_psych.csv")
con <- file(csv_path, "w")
# Provenance as leading '#' comment lines (pandas: read_csv(..., comment="#")).
writeLines(c(
  sprintf("# %s; psych %s; generated %s by %s", meta$R_version,
          meta$psych_version, meta$date, meta$generator),
  "# psych::scoreItems(keys, items, impute=\"none\", min=1, max=6): S.mean with totals=FALSE, S.sum with totals=TRUE; empty cell = NA/NaN"
), con)
write.csv(out, con, row.names = FALSE, quote = FALSE, na = "")
close(con)

# ---- 3. Missing-data semantics, shown on synthetic data -------------------------
#
# Rows: r1 complete; r2 one item missing; r3 only the reverse item answered;
# r4 all items of scale "s" missing; r5, r6 complete (give items variance).
demo <- data.frame(
  row = paste0("r", 1:6),
  i1 = c(1, NA, NA, NA, 6, 3),
  i2 = c(2, 5, NA, NA, 4, 3),
  i3 = c(3, 4, 2, NA, 1, 3)        # reverse keyed below
)
demo_keys <- list(s = c("i1", "i2", "-i3"))
d_mean <- score_items_none(demo_keys, demo[, c("i1", "i2", "i3")], FALSE)[, "s"]
d_sum <- score_items_none(demo_keys, demo[, c("i1", "i2", "i3")], TRUE)[, "s"]
d_answered <- rowSums(!is.na(demo[, c("i1", "i2", "i3")]))
stopifnot(
  all.equal(d_mean[1:2], c((1 + 2 + 4) / 3, (5 + 3) / 2)),  # mean of answered
  d_mean[3] == 5,                                         # 7 - 2
  is.nan(d_mean[4]),                                      # all missing -> NaN
  all.equal(d_sum[1:3], c(7, 8, 5)),                      # sum of answered
  d_sum[4] == 0                                           # all missing -> 0
)
demo_out <- data.frame(row = demo$row, i1 = fmt17(demo$i1), i2 = fmt17(demo$i2),
                       i3 = fmt17(demo$i3), n_answered = d_answered,
                       s.mean = ifelse(is.nan(d_mean), "NaN", fmt17(d_mean)),
                       s.sum = fmt17(d_sum))
con <- file(file.path(out_dir, "scoreitems_missing_demo.csv"), "w")
writeLines(c(
  sprintf("# %s; psych %s; generated %s by %s", meta$R_version,
          meta$psych_version, meta$date, meta$generator),
  "# SYNTHETIC: keys s = i1, i2, -i3 (1-6 coding); psych::scoreItems(impute=\"none\", min=1, max=6); empty item cell = missing; s.mean NaN = what R returns"
), con)
write.csv(demo_out, con, row.names = FALSE, quote = FALSE, na = "")
close(con)

# ---- 4. Reliability: bfi -------------------------------------------------------

bfi_alpha <- list(
  meta = c(meta, list(
    data = "bfi.csv, all respondents",
    method = paste(
      "Per scale: complete cases of that scale's items; '-' items recoded",
      "as 7 - x; psych::alpha(x, check.keys = FALSE). r.drop = item.stats",
      "r.drop; alpha_if_deleted = alpha.drop raw_alpha; mean/sd = item.stats",
      "(of the recoded item, sd with n - 1); scale_score = mean of the keyed",
      "items per respondent, its mean and sd (n - 1)."))),
  scales = lapply(bfi_keys, function(k) alpha_block(bfi, k))
)
write_json17(bfi_alpha, file.path(out_dir, "bfi_alpha_psych.json"))

# ---- 5. Reliability: SPI, adults -----------------------------------------------

spi <- read.csv(file.path(data_dir, "spi.csv"))
spi_keys <- jsonlite::fromJSON(file.path(data_dir, "spi_keys.json"),
                               simplifyVector = TRUE)
spi_adults <- spi[!is.na(spi$age) & spi$age >= 18, ]

spi_alpha <- list(
  meta = c(meta, list(
    data = sprintf("spi.csv, respondents with age >= 18 (n = %d of %d)",
                   nrow(spi_adults), nrow(spi)),
    method = bfi_alpha$meta$method)),
  scales = lapply(spi_keys, function(k) alpha_block(spi_adults, k))
)
write_json17(spi_alpha, file.path(out_dir, "spi_alpha_psych.json"))

# ---- 5b. Reliability: SPI as administered in a bilan (spi-135 2.0.0) ---------
#
# Version 2.0.0 of the instrument leaves out 8 items that reveal religious or
# political opinions or a health condition (GDPR art. 9; see
# docs/translation-spi.md).  Its scales are the SAPA keys above minus those
# items, in the same order; a scale left without any item (Conservatism) is
# dropped.  Written out here, independently of the instrument file, so that
# the test compares the YAML's scales with these keys.

spi_bilan_removed <- c("q_345", "q_660", "q_1824", "q_1825", "q_1328",
                       "q_369", "q_398", "q_811")
stopifnot(all(spi_bilan_removed %in% names(spi)))
spi_bilan_keys <- lapply(spi_keys, function(k)
  k[!(parse_keys(k)$item %in% spi_bilan_removed)])
spi_bilan_keys <- spi_bilan_keys[lengths(spi_bilan_keys) > 0]

spi_bilan_alpha <- list(
  meta = c(meta, list(
    data = spi_alpha$meta$data,
    keys = paste(
      "spi_keys.json minus the items of removed_items (same order);",
      "scales left without items dropped"),
    removed_items = as.list(spi_bilan_removed),
    method = bfi_alpha$meta$method)),
  scales = lapply(spi_bilan_keys, function(k) alpha_block(spi_adults, k))
)
write_json17(spi_bilan_alpha, file.path(out_dir, "spi_bilan_alpha_psych.json"))

# ---- 6. Summary on stdout ------------------------------------------------------

cat(sprintf("%s; psych %s; %s\n", meta$R_version, meta$psych_version, meta$date))
cat(sprintf("data: %s\nout:  %s\n", data_dir, out_dir))
for (nm in c("bfi", "spi", "spi_bilan")) {
  res <- switch(nm, bfi = bfi_alpha, spi = spi_alpha, spi_bilan = spi_bilan_alpha)
  cat(sprintf("%s raw_alpha:\n", nm))
  for (s in names(res$scales))
    cat(sprintf("  %-24s n=%4d  raw_alpha=%.4f  std.alpha=%.4f\n", s,
                res$scales[[s]]$n_complete, res$scales[[s]]$raw_alpha,
                res$scales[[s]]$std.alpha))
}
