import ArgumentParser
import DeltaArbitrage
import Foundation

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
            empty price field carries the previous row's value forward. An Arrow IPC file \
            (Feather v2, uncompressed; see 'convert') with the same column names is read \
            too, told by its content rather than its name.

            The spread is the entry cost of the hedge, (spot_ask − fut_bid) / spot_ask · 100, \
            in percent. All percentages on the command line are in percent (0.5 = 0.5 %); \
            fees are fractions (0.0005 = 5 bp). Numeric options take negative values \
            after a space (--entry -0.3).

            With --json a command prints exactly one JSON document on stdout. Progress \
            and diagnostics go to stderr; an error is one line, "delta-arb: error: …". \
            Exit status: 0 on success; 1 for bad input data or a failure while running \
            (including a failed write of the output or a report); 64 for bad arguments, \
            including values found unusable only once the data is read (a --grid-step \
            or --update-minutes giving too many points).
            """,
        version: DeltaArbitrageVersion,
        subcommands: serviceCommands([Generate.self, Convert.self, Analyze.self, Backtest.self, Optimize.self, WalkForward.self, Batch.self, Paper.self, Database.self])
    )

    /// Parses and runs the command; every failure ends as one `delta-arb: error:`
    /// line on stderr and the documented exit status (a write to stdout that
    /// failed is a failure: every result goes through `StandardOutput`).
    static func main() async {
        ProcessMemory.retainFreedHeapMemory()
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            try requireKnownHelpTopic(arguments)
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            Foundation.exit(report(error).rawValue)
        }
    }

    /// Prints `error` as the user should see it and returns the exit status.
    static func report(_ error: any Error) -> ExitCode {
        if let exit = error as? ExitCode { return exit }  // already reported
        let code = exitCode(for: error)
        if code == .success {  // --help, --version
            let text = fullMessage(for: error)
            guard !text.isEmpty else { return code }
            do {
                try StandardOutput.writeLine(text)
            } catch {
                StandardError.write("delta-arb: error: \(error)\n")
                return .failure
            }
            return code
        }
        if let usage = error as? UsageFailure {
            StandardError.write("delta-arb: error: \(usage)\n")
            return .validationFailure
        }
        if code == .validationFailure {  // the argument parser's own errors and ValidationError
            let lines = message(for: error).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            StandardError.write("delta-arb: error: \(lines.filter { !$0.isEmpty }.joined(separator: "; "))\n")
            return code
        }
        StandardError.write("delta-arb: error: \(humanDescription(of: error))\n")
        return .failure
    }

    /// `delta-arb help TOPIC…` must name a command: the argument parser would
    /// print the top-level help and succeed for a misspelt one.
    static func requireKnownHelpTopic(_ arguments: [String]) throws {
        guard arguments.first == "help" else { return }
        var commands: [any ParsableCommand.Type] = configuration.subcommands
        for topic in arguments.dropFirst() where !topic.hasPrefix("-") {
            guard let next = commands.first(where: { $0._commandName == topic }) else {
                let names = commands.map { $0._commandName }.joined(separator: ", ")
                throw ValidationError("no command '\(topic)' to give help on (commands: \(names))")
            }
            commands = next.configuration.subcommands
        }
    }
}

/// The commands, with `serve` where the live service is built (SwiftPM; not the CMake build).
private func serviceCommands(_ commands: [any ParsableCommand.Type]) -> [any ParsableCommand.Type] {
    #if canImport(DeltaArbitrageService)
    return commands + [Serve.self]
    #else
    return commands
    #endif
}
