import Foundation

/// Runs `Benchmarks/peers/peers.py` (pandas, numba, statsmodels, ruptures) on
/// the benchmark's CSV file and returns its JSON for the same file.
enum Peers {
    static func run(csv: String, rule: (entry: Double, exit: Double, maxHours: Double, spotFee: Double, futFee: Double),
                    only: [String], rowLoopLimit: Int, workDirectory: String, extra: [String] = []) -> [String: Any] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("peers/peers.py").path
        let output = workDirectory + "/peers.json"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script, "--csv", csv,
            "--entry", "\(rule.entry)", "--exit", "\(rule.exit)", "--max-hours", "\(rule.maxHours)",
            "--spot-fee", "\(rule.spotFee)", "--fut-fee", "\(rule.futFee)",
            "--row-loop-limit", "\(rowLoopLimit)",
            "--only", only.joined(separator: ","), "--out", output,
        ] + extra
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return ["skipped": "could not start python3: \(error)"]
        }
        guard let data = FileManager.default.contents(atPath: output),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return ["skipped": "peers.py exited \(process.terminationStatus) without a result"] }
        var file = (object["files"] as? [[String: Any]])?.first ?? [:]
        file["python"] = object["python"]
        file["versions"] = object["versions"]
        return file
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
