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
        let taken = Set(overrides.values.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        names = RecordField.allCases.map { field in
            guard reading(field) else { return FieldNames.unmatchable }
            return overrides[field] ?? (taken.contains(field.name) ? FieldNames.unmatchable : field.name)
        }
    }

    public subscript(field: RecordField) -> String { names[field.rawValue] }
}
