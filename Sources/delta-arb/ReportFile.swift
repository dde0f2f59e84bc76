import Foundation

/// Writes `html` to `directory/index.html` (creating the directory) for
/// `--report DIR`, and returns the file's path.
func writeHTMLReport(_ html: String, into directory: String) throws -> String {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = (directory as NSString).appendingPathComponent("index.html")
    try Data(html.utf8).write(to: URL(fileURLWithPath: path))
    return path
}
