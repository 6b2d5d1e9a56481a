import ConsentryModel

/// Which CSV column or JSON key feeds each ``RecordField``.
public struct FieldNames: Sendable, Equatable {
    /// Indexed by ``RecordField/rawValue``.
    public var names: [String]

    public init(overrides: [RecordField: String] = [:]) {
        names = RecordField.allCases.map { overrides[$0] ?? $0.name }
    }

    public subscript(field: RecordField) -> String { names[field.rawValue] }
}
