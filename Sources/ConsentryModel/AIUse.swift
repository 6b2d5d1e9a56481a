/// The four AI uses of the CAWG training-and-data-mining assertion (contract §2).
public enum AIUse: Int, CaseIterable, Sendable {
    case aiGenerativeTraining = 0, aiTraining, aiInference, dataMining

    public var name: String {
        switch self {
        case .aiGenerativeTraining: return "ai_generative_training"
        case .aiTraining: return "ai_training"
        case .aiInference: return "ai_inference"
        case .dataMining: return "data_mining"
        }
    }

    public init?(name: String) {
        guard let use = AIUse.allCases.first(where: { $0.name == name }) else { return nil }
        self = use
    }
}
