/// One rule of one use: the first rule whose condition holds decides.
public struct PolicyRule: Sendable, Equatable {
    public var id: String
    /// nil: the rule always holds.
    public var condition: Condition?
    public var verdict: Verdict
    /// Line of the rule in its YAML file.
    public var line: Int

    public init(id: String, condition: Condition?, verdict: Verdict, line: Int) {
        self.id = id
        self.condition = condition
        self.verdict = verdict
        self.line = line
    }
}
