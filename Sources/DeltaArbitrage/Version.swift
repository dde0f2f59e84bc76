/// The release of the DeltaArbitrage package (library and `delta-arb`), in
/// semantic-versioning form; `delta-arb --version` prints it. The one place
/// the version is written.
public let DeltaArbitrageVersion = "0.1.0"
