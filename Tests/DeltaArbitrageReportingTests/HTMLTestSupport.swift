import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

// Reading the HTML reports back in tests: their SVG figures parsed as XML
// (FoundationXML's XMLParser) and their keyed table rows.

/// One element of a parsed SVG: its name, attributes and direct text.
struct SVGElement {
    var name: String
    var attributes: [String: String]
    var text = ""

    subscript(_ key: String) -> String? { attributes[key] }
    func number(_ key: String) -> Double? { attributes[key].flatMap(Double.init) }
}

/// Collects every element of an XML document, or the parse error.
final class ElementCollector: NSObject, XMLParserDelegate {
    var elements: [SVGElement] = []
    var open: [Int] = []
    var error: (any Error)?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        open.append(elements.count)
        elements.append(SVGElement(name: elementName, attributes: attributeDict))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        _ = open.popLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let current = open.last { elements[current].text += string }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) { error = parseError }
}

/// The `<svg>…</svg>` parts of an HTML document, in order.
func svgBlocks(_ html: String) -> [String] {
    var blocks = [String]()
    var rest = html[...]
    while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
        blocks.append(String(rest[start.lowerBound..<end.upperBound]))
        rest = rest[end.upperBound...]
    }
    return blocks
}

/// Parses one SVG block as XML; records an issue and returns nil when it is not well-formed.
func parseSVG(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) -> [SVGElement]? {
    let parser = XMLParser(data: Data(svg.utf8))
    let collector = ElementCollector()
    parser.delegate = collector
    let ok = parser.parse()
    #expect(ok, "SVG is not well-formed XML: \(String(describing: collector.error ?? parser.parserError))",
            sourceLocation: sourceLocation)
    #expect(collector.error == nil, sourceLocation: sourceLocation)
    return ok && collector.error == nil ? collector.elements : nil
}

/// The elements of the figure whose root carries `data-figure="name"`.
func figure(_ name: String, in html: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [SVGElement] {
    let block = try #require(svgBlocks(html).first { $0.contains("data-figure=\"\(name)\"") },
                             "no \(name) figure", sourceLocation: sourceLocation)
    return try #require(parseSVG(block, sourceLocation: sourceLocation), sourceLocation: sourceLocation)
}

/// The HTML of the table row carrying `data-key="key"`, up to its `</tr>`.
func row(_ key: String, in html: String) -> String? {
    guard let start = html.range(of: "data-key=\"\(key)\""),
          let end = html.range(of: "</tr>", range: start.upperBound..<html.endIndex) else { return nil }
    return String(html[start.lowerBound..<end.lowerBound])
}

/// Checks what every report must be: one well-formed HTML document with
/// `figures` SVG figures, each well-formed XML with a viewBox, no scripts or
/// external resources, every `url(#id)` resolving inside its own figure, no
/// font below 11 px, and no id used twice in the document.
func expectWellFormedSelfContainedReport(_ html: String, figures: Int,
                                         sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(html.hasPrefix("<!DOCTYPE html>"), sourceLocation: sourceLocation)
    #expect(html.hasSuffix("</html>\n"), sourceLocation: sourceLocation)
    #expect(html.components(separatedBy: "<body>").count == 2 && html.components(separatedBy: "</body>").count == 2,
            sourceLocation: sourceLocation)
    // No scripts and nothing fetched from outside.
    for forbidden in ["<script", "src=", "href=\"http", "url(http", "@import", "<link"] {
        #expect(!html.contains(forbidden), "document contains \(forbidden)", sourceLocation: sourceLocation)
    }
    let blocks = svgBlocks(html)
    #expect(blocks.count == figures, sourceLocation: sourceLocation)
    for block in blocks {
        let elements = try #require(parseSVG(block, sourceLocation: sourceLocation), sourceLocation: sourceLocation)
        let root = try #require(elements.first, sourceLocation: sourceLocation)
        #expect(root.name == "svg" && root["viewBox"] != nil, sourceLocation: sourceLocation)
        // Every url(#id) reference resolves inside the same figure.
        let ids = Set(elements.compactMap { $0["id"] })
        for element in elements {
            for value in element.attributes.values where value.hasPrefix("url(#") {
                #expect(ids.contains(String(value.dropFirst(5).dropLast())), "dangling \(value)",
                        sourceLocation: sourceLocation)
            }
        }
        // Legible text: no font below 11 px.
        for element in elements {
            if let size = element.number("font-size") { #expect(size >= 11, sourceLocation: sourceLocation) }
        }
    }
    let ids = svgBlocks(html).flatMap { block in (parseSVG(block) ?? []).compactMap { $0["id"] } }
    #expect(Set(ids).count == ids.count, "an id is used twice: \(ids)", sourceLocation: sourceLocation)
}
