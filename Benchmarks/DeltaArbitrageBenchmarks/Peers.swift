import Foundation

/// Runs `Benchmarks/peers/peers.py` (pandas, numba, statsmodels, ruptures) on
/// the benchmark's CSV file and returns its JSON for the same file.
enum Peers {
    static func run(csv: String, rule: (entry: Double, exit: Double, maxHours: Double, spotFee: Double, futFee: Double),
                    only: [String], rowLoopLimit: Int, workDirectory: String, extra: [String] = []) -> [String: Any] {
        let output = workDirectory + "/peers.json"
        let arguments = [
            "--csv", csv,
            "--entry", "\(rule.entry)", "--exit", "\(rule.exit)", "--max-hours", "\(rule.maxHours)",
            "--spot-fee", "\(rule.spotFee)", "--fut-fee", "\(rule.futFee)",
            "--row-loop-limit", "\(rowLoopLimit)",
            "--only", only.joined(separator: ","), "--out", output,
        ] + extra
        let object: [String: Any]
        switch PythonPeer.run("peers.py", arguments, output: output) {
        case .result(let result): object = result
        case .skipped(let why, _): return ["skipped": why]
        }
        var file = (object["files"] as? [[String: Any]])?.first ?? [:]
        file["python"] = object["python"]
        file["versions"] = object["versions"]
        return file
    }
}

/// Runs a peer script of `Benchmarks/peers/` with `python3` (its output on
/// the benchmark's stderr) and reads the JSON document it writes to `output`.
enum PythonPeer {
    enum Outcome {
        /// The script's JSON object.
        case result([String: Any])
        /// Why there is none, and the script's exit status when it ran.
        case skipped(String, status: Int32?)
    }

    static func run(_ script: String, _ arguments: [String], output: String) -> Outcome {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("peers/\(script)").path
        try? FileManager.default.removeItem(atPath: output)   // a stale result must not pass for this run's
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path] + arguments
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return .skipped("could not start python3: \(error)", status: nil)
        }
        guard let data = FileManager.default.contents(atPath: output),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return .skipped("\(script) exited \(process.terminationStatus) without a result", status: process.terminationStatus)
        }
        return .result(object)
    }
}

extension Dictionary where Key == String, Value == Any {
    /// The number at a path of keys (`["backtest_numba", "seconds"]`), if any.
    func number(_ path: String...) -> Double? {
        var node: Any = self
        for key in path {
            guard let dictionary = node as? [String: Any], let next = dictionary[key] else { return nil }
            node = next
        }
        return (node as? NSNumber)?.doubleValue
    }
}
