import Foundation

/// Runs Scripts/generate-catalogue (deterministic synthetic catalogues) with `arguments`,
/// e.g. `["--tracks", "20000", "-o", path]`.
package func generateCatalogue(_ arguments: [String]) throws {
    _ = try runTool("/usr/bin/env", ["python3", Paths.inRepository("Scripts/generate-catalogue")] + arguments, timeout: 300)
}

/// An oracle breakdown (`policies.<id>.by_label` or `by_artist` of Scripts/reference-scan) as
/// `key tracks/exposed` lines, in the oracle's order.
package func referenceBreakdownLines(_ oracle: JSON, policy: String, field: String) -> [String] {
    (oracle["policies"]?[policy]?[field]?.members ?? []).map { member in
        "\(member.key) \(member.value["tracks"]?.int ?? -1)/\(member.value["any_training_exposed"]?.int ?? -1)"
    }
}
