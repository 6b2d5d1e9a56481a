import ConsentryModel

/// The policies that ship with consentry, compiled into the binary (``BuiltInPolicyTexts``)
/// and loaded like any user file.
public enum BuiltInPolicies {
    public static let ids = ["soundcloud-2024-02", "soundcloud-2025-05", "soundcloud-opt-out"]
    public static let defaultID = "soundcloud-2025-05"

    /// The YAML text of a built-in policy.
    public static func yaml(_ id: String) throws -> String {
        try text(id, file: "\(id).yaml", what: "policy")
    }

    /// The YAML text of the test file shipped with a built-in policy (`ID.test.yaml`).
    public static func testYAML(_ id: String) throws -> String {
        try text(id, file: "\(id).test.yaml", what: "policy test file")
    }

    /// `ids` is the listing: the test files beside the policies are never taken for policies.
    private static func text(_ id: String, file: String, what: String) throws -> String {
        guard ids.contains(id), let text = BuiltInPolicyTexts.files[file] else {
            throw PolicyError(
                .unknownPolicy, "no built-in \(what) '\(id)'",
                remedy: "use one of \(ids.joined(separator: ", ")), or pass a policy file", file: nil)
        }
        return text
    }

    public static func policy(_ id: String) throws -> Policy {
        try PolicyLoader.load(yaml: try yaml(id), origin: "built-in:\(id)")
    }
}
