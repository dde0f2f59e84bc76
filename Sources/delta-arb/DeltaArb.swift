import ArgumentParser
import DeltaArbitrage

/// `delta-arb`: generate, analyse, backtest and optimise spot/futures book-ticker data.
@main
struct DeltaArb: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delta-arb",
        abstract: "Measure and backtest delta-neutral spot/futures spread arbitrage.",
        discussion: """
            Input files are CSV book-ticker histories with a header naming the columns \
            (any order): timestamp, spot_ask_price, spot_bid_price, fut_ask_price, \
            fut_bid_price, and optionally spot_ask_quantity, spot_bid_quantity, \
            fut_ask_quantity, fut_bid_quantity. Timestamps are ISO-8601 (UTC unless an \
            offset is given) or epoch seconds/milliseconds/microseconds/nanoseconds. An \
            empty price field carries the previous row's value forward.

            The spread is the entry cost of the hedge, (spot_ask − fut_bid) / spot_ask · 100, \
            in percent. All percentages on the command line are in percent (0.5 = 0.5 %); \
            fees are fractions (0.0005 = 5 bp).

            With --json a command prints exactly one JSON document on stdout. Progress \
            and diagnostics go to stderr. Exit status: 0 on success, 1 for bad input data, \
            64 for bad arguments.
            """,
        subcommands: [Generate.self, Analyze.self, Backtest.self, Optimize.self, WalkForward.self, Paper.self]
    )
}
