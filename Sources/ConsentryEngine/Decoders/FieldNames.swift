import ConsentryModel
import Foundation

/// Which CSV column or JSON key feeds each ``RecordField``.
public struct FieldNames: Sendable, Equatable {
    /// Indexed by ``RecordField/rawValue``.
    public var names: [String]

    /// A name no header or key has: a field whose default name `--column` gives to another
    /// field (`--column artist_id=label`; CSV headers ignore case) reads nothing rather than
    /// that field's column.
    static let unmatchable = "\u{FFFF}unmapped"

    /// A field `reading` says is not read gets ``unmatchable``.
    public init(overrides: [RecordField: String] = [:], reading: (RecordField) -> Bool = { _ in true }) {
        let displaced = Set(FieldNames.displaced(by: overrides).map(\.field))
        names = RecordField.allCases.map { field in
            guard reading(field) else { return FieldNames.unmatchable }
            return overrides[field] ?? (displaced.contains(field) ? FieldNames.unmatchable : field.name)
        }
    }

    /// The fields that read nothing because `overrides` gives their own name to another
    /// field (`taker`) and maps them nowhere else.
    public static func displaced(by overrides: [RecordField: String]) -> [(field: RecordField, taker: RecordField)] {
        RecordField.allCases.compactMap { field in
            guard overrides[field] == nil,
                  let taker = RecordField.allCases.first(where: {
                      overrides[$0].map(FieldNames.key) == field.name
                  }) else { return nil }
            return (field, taker)
        }
    }

    public subscript(field: RecordField) -> String { names[field.rawValue] }

    /// A header's or a mapping's name as names are compared: without leading and trailing
    /// spaces and tabs, lowercased.
    static func key(_ name: String) -> String {
        let scalars = name.unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return String(scalars[first...last]).lowercased()
    }
}
