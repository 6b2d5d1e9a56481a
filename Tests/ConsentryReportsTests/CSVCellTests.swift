import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
@testable import ConsentryReports
import TestSupport

@Suite struct CSVCellTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("two\nlines", "\"two\nlines\""),
        ("crlf\r\nonly", "\"crlf\r\nonly\""),
        ("cr\ronly", "\"cr\ronly\""),
        ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
        ("+1", "'+1"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("", ""),
    ])
    func escapesQuotingAndFormulas(input: String, expected: String) {
        #expect(CSVCell.escape(input) == expected)
    }
}
