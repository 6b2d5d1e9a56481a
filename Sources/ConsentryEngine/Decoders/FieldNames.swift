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

    public init(overrides: [RecordField: String] = [:]) {
        let taken = Set(overrides.values.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        names = RecordField.allCases.map { overrides[$0] ?? (taken.contains($0.name) ? FieldNames.unmatchable : $0.name) }
    }

    public subscript(field: RecordField) -> String { names[field.rawValue] }
}
