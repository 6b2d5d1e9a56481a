/// What a policy allows for one track and use (contract §2).
public enum Verdict: UInt8, CaseIterable, Sendable {
    case exposed = 0, consented, blocked

    public var name: String {
        switch self {
        case .exposed: return "exposed"
        case .consented: return "consented"
        case .blocked: return "blocked"
        }
    }

    public init?(name: String) {
        guard let verdict = Verdict.allCases.first(where: { $0.name == name }) else { return nil }
        self = verdict
    }
}
