/// The version recorded in `runs.tool_version`.
public enum ConsentryVersion {
    public static let current = "0.1.0"
}
