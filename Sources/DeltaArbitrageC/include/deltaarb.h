/*
 * deltaarb.h — the C ABI of the DeltaArbitrage engine (product DeltaArbitrageC,
 * libDeltaArbitrageC.so). The Python package `deltaarb` loads it with ctypes.
 *
 * Conventions
 * - Market data goes in as columns: `rows` rows, `timestamps` int64
 *   nanoseconds since the Unix epoch (UTC, non-decreasing), and four float64
 *   price columns (positive and finite). The engine reads the caller's
 *   buffers in place; it never keeps a pointer after a call returns.
 *   Quantities are not needed by any function here.
 * - Percentages are in percent (0.5 = 0.5 %); fees are fractions.
 * - Every function returns a status code (DELTAARB_OK or an error below).
 *   On an error, when `error_out` is not NULL, *error_out receives a
 *   NUL-terminated UTF-8 message (the engine's own text) that the caller
 *   frees with deltaarb_free; nothing else is returned. On success every
 *   output buffer or string is allocated by the library and freed by the
 *   caller with deltaarb_free (a NULL pointer is ignored).
 * - Bad input (NULL column pointers, negative row counts, NaN or
 *   non-positive prices, time going backwards, bad parameters, malformed
 *   configuration JSON) returns an error code and message; no function traps
 *   on it. Buffers shorter than `rows` cannot be detected.
 * - Functions are reentrant; the optimiser uses all cores internally.
 */
#ifndef DELTAARB_H
#define DELTAARB_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. */
enum {
    DELTAARB_OK = 0,
    /* The columns are unusable: NULL pointer, negative row count, a price
       that is NaN, infinite or not positive, or a timestamp earlier than the
       row above. The message names the 0-based row and the column. */
    DELTAARB_INVALID_DATA = 1,
    /* The seed's InsufficientDataError: too few rows or grid points. */
    DELTAARB_INSUFFICIENT_DATA = 2,
    /* The seed's ParameterValidationError: a parameter outside its domain,
       or no threshold pair passes the safety rules. */
    DELTAARB_PARAMETER_VALIDATION = 3,
    /* The seed's OptimizationTimeoutError: the time budget ran out. */
    DELTAARB_OPTIMIZATION_TIMEOUT = 4,
    /* A malformed argument: configuration JSON, unknown regime name. */
    DELTAARB_INVALID_ARGUMENT = 5,
    /* Any other engine failure. */
    DELTAARB_INTERNAL = 6
};

/* Version of this ABI; changes whenever a signature or a layout changes. */
int32_t deltaarb_abi_version(void);

/* Frees a buffer or string returned by this library (NULL is ignored). */
void deltaarb_free(void *pointer);

/* One closed trade of deltaarb_backtest (120 bytes, no padding).
   exit_reason: 0 = "profit_target", 1 = "timeout". Times are not repeated:
   they are timestamps[entry_index] and timestamps[exit_index]. The numbers
   are docs/design.md's formulas ("Backtest semantics"). */
typedef struct deltaarb_trade {
    int64_t entry_index;
    int64_t exit_index;
    int64_t exit_reason;
    double hours;
    double entry_spot_ask;
    double entry_fut_bid;
    double exit_spot_bid;
    double exit_fut_ask;
    double spot_pnl_pts;
    double fut_pnl_pts;
    double total_pnl_pts;
    double net_pnl_pct;
    double entry_spread_pct;
    double exit_spread_pct;
    double spread_improvement;
} deltaarb_trade;

/* sizeof(deltaarb_trade) as the library writes it (a layout check for bindings). */
int64_t deltaarb_trade_size(void);

/* The seed's delta_neutral_backtest over the columns. On success
   *trades_out is an array of *trade_count_out deltaarb_trade (NULL when
   there are none), freed with deltaarb_free. A position still open after the
   last row is not a trade. */
int32_t deltaarb_backtest(
    int64_t rows, const int64_t *timestamps,
    const double *spot_ask_price, const double *spot_bid_price,
    const double *fut_ask_price, const double *fut_bid_price,
    double max_entry_cost_pct, double min_profit_pct, double max_hours,
    double spot_fee, double fut_fee,
    deltaarb_trade **trades_out, int64_t *trade_count_out, char **error_out);

/* Optimiser configuration (config_json below): a JSON object, every key
   optional (NULL or "{}" means the seed's defaults):
     target_hit_rate, min_daily_trades, max_drawdown_tolerance,
     max_entry_threshold, min_exit_threshold, max_threshold_ratio,
     max_position_hold_minutes, min_spread_data_points, spot_fee, fut_fee,
     grid_steps (points per axis of the derived grid, 1...512),
     entry_grid / exit_grid ("FROM:TO:STEPS", percent),
     time_budget_ms (give up after this long; absent = no budget).
   Unknown keys are an error (DELTAARB_INVALID_ARGUMENT). */

/* The configuration in force for config_json, every key filled in, as JSON
   (*json_out, freed with deltaarb_free). */
int32_t deltaarb_optimizer_config(const char *config_json, char **json_out, char **error_out);

/* The seed's validate_parameters: *safe_out = 1 when (entry, exit) pass the
   safety rules of the configuration, else 0 and, when reason_out is not
   NULL, *reason_out names the first rule broken (freed with deltaarb_free). */
int32_t deltaarb_validate_parameters(
    const char *config_json, double entry_threshold_pct, double exit_threshold_pct,
    int32_t *safe_out, char **reason_out, char **error_out);

/* The seed's optimize_parameters on the trailing lookback_hours of the
   columns. *json_out is the document `delta-arb optimize --json` prints for
   the same data and options, without its "data_gaps" member (this ABI does no
   gap check): optimization_result, constraint_status,
   chosen_trade_statistics, confidence, alternatives, window_statistics,
   window, optimization_performance, events, grid_surface. */
int32_t deltaarb_optimize(
    int64_t rows, const int64_t *timestamps,
    const double *spot_ask_price, const double *spot_bid_price,
    const double *fut_ask_price, const double *fut_bid_price,
    const char *config_json, double lookback_hours,
    char **json_out, char **error_out);

/* The seed's analyze_spread_distribution: the spread statistics of
   docs/design.md on a grid_step_seconds as-of grid (1 = the default), as the
   JSON {"spread_analysis": …, "mean_reversion": …, "details": …}. */
int32_t deltaarb_analyze(
    int64_t rows, const int64_t *timestamps,
    const double *spot_ask_price, const double *spot_bid_price,
    const double *fut_ask_price, const double *fut_bid_price,
    double grid_step_seconds, char **json_out, char **error_out);

/* The seed's optimized_delta_neutral_backtest (walk-forward): re-optimises
   every update_interval_seconds on the trailing window_hours. Fixed
   thresholds: static_entry_pct and static_exit_pct both finite (both NaN =
   optimise). *json_out is the JSON of `delta-arb walk-forward --json`
   without "data_gaps": trades (with entry_index / exit_index),
   optimization_history, updates, summary, open_position, … */
int32_t deltaarb_walk_forward(
    int64_t rows, const int64_t *timestamps,
    const double *spot_ask_price, const double *spot_bid_price,
    const double *fut_ask_price, const double *fut_bid_price,
    const char *config_json, double window_hours, double update_interval_seconds,
    double static_entry_pct, double static_exit_pct,
    char **json_out, char **error_out);

/* The seed's generate_mock_market_data (regime NULL: hours,
   spread_volatility, trend_strength apply) or generate_mock_spread_regime
   (regime "mean_reverting", "trending" or "volatile": hours is the
   duration; spread_volatility and trend_strength are ignored). Rows are
   tick_interval_seconds apart on average; the same seed gives the same data.
   On success *columns_out holds 9 × *rows_out 8-byte values, column after
   column: timestamps (int64 ns), spot_ask_price, spot_bid_price,
   spot_ask_quantity, spot_bid_quantity, fut_ask_price, fut_bid_price,
   fut_ask_quantity, fut_bid_quantity (float64); freed with deltaarb_free. */
int32_t deltaarb_generate_mock(
    const char *regime, double hours, double spread_volatility, double trend_strength,
    double tick_interval_seconds, uint64_t seed,
    void **columns_out, int64_t *rows_out, char **error_out);

#ifdef __cplusplus
}
#endif

#endif /* DELTAARB_H */
