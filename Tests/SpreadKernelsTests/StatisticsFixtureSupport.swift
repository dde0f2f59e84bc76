import Foundation

/// One series of Tests/Fixtures/stats with its reference results
/// (written by scripts/make_stat_fixtures.py).
struct StatFixture: Decodable, Sendable {
    struct ADF: Decodable, Sendable {
        var statistic: Double
        var p_value: Double
        var used_lag: Int
        var nobs: Int
        var max_lag: Int
        var ic_best: Double
        var critical_values: [Double]
    }
    struct AR1: Decodable, Sendable {
        var alpha: Double
        var beta: Double
        var bse: [Double]
        var ssr: Double
    }
    struct Arch: Decodable, Sendable {
        var lm: Double
        var lm_p_value: Double
        var f: Double
        var f_p_value: Double
    }
    struct Blocks: Decodable, Sendable {
        var block_size: Int
        var count: Int
        var penalty: Double
        var breakpoints: [Int]
    }
    struct RawPelt: Decodable, Sendable {
        var penalty: Double
        var breakpoints: [Int]
    }
    var name: String
    var n: Int
    var series: [Double]
    var mean: Double
    var std: Double
    var percentile_levels: [Double]
    var percentiles: [Double]
    var acf: [Double]
    var adf: ADF
    var ar1: AR1
    var arch_lm: Arch
    var blocks: Blocks
    var raw_pelt: RawPelt?
}

struct SpecialFixture: Decodable, Sendable {
    var chi2_sf: [[Double]]
    var f_sf: [[Double]]
    var norm_cdf: [[Double]]
    var mackinnonp: [[Double]]
    var mackinnoncrit: [[Double]]
}

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/stats")

    /// Names of the fixture series, from index.json.
    static let names: [String] = {
        struct Index: Decodable { var series: [String] }
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("index.json")),
              let index = try? JSONDecoder().decode(Index.self, from: data) else { return [] }
        return index.series
    }()

    static func load(_ name: String) throws -> StatFixture {
        let data = try Data(contentsOf: directory.appendingPathComponent(name + ".json"))
        return try JSONDecoder().decode(StatFixture.self, from: data)
    }

    static func special() throws -> SpecialFixture {
        let data = try Data(contentsOf: directory.appendingPathComponent("special_functions.json"))
        return try JSONDecoder().decode(SpecialFixture.self, from: data)
    }
}

/// `|a − b| ≤ max(relative·|b|, absolute)`.
func isClose(_ a: Double, _ b: Double, relative: Double = 1e-8, absolute: Double = 1e-12) -> Bool {
    if a == b { return true }
    return abs(a - b) <= max(relative * abs(b), absolute)
}

/// The largest relative deviation (with the absolute floor) over two lists, for messages.
func worst(_ a: [Double], _ b: [Double], absolute: Double = 1e-12) -> Double {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs($0 - $1) / max(abs($1), absolute) }.max() ?? 0
}
