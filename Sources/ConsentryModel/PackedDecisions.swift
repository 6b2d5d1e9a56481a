/// The decisions of one policy for one track, packed into a `UInt32`.
///
/// Use `u` occupies bits `8u..<8u+8`: the verdict (``Verdict/rawValue``) in the low 2 bits
/// and the index of the deciding rule in the high 6. Workers hand these around by the
/// million, so they stay a plain integer rather than a struct of four pairs.
public enum PackedDecisions {
    /// Packs one use's verdict and rule index at its place.
    @inline(__always)
    public static func pack(_ use: AIUse, verdict: Verdict, rule: Int) -> UInt32 {
        (UInt32(verdict.rawValue) | UInt32(rule) << 2) << (8 * UInt32(use.rawValue))
    }

    @inline(__always)
    public static func verdict(_ packed: UInt32, _ use: AIUse) -> Verdict {
        Verdict(rawValue: UInt8((packed >> (8 * UInt32(use.rawValue))) & 3))!
    }

    @inline(__always)
    public static func ruleIndex(_ packed: UInt32, _ use: AIUse) -> Int {
        Int((packed >> (8 * UInt32(use.rawValue) + 2)) & 63)
    }

    /// Whether any use is `exposed`.
    @inline(__always)
    public static func anyExposed(_ packed: UInt32) -> Bool {
        packed & 0x03 == 0 || packed & 0x0300 == 0 || packed & 0x03_0000 == 0 || packed & 0x0300_0000 == 0
    }

    /// Whether `ai_generative_training` or `ai_training` is `exposed`: the tracks counted in
    /// `any_training_exposed`.
    @inline(__always)
    public static func trainingExposed(_ packed: UInt32) -> Bool {
        packed & 0x03 == 0 || packed & 0x0300 == 0
    }
}
