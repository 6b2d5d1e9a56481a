import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// `consentry report --by label|artist [--top N|all]` (contract §3, §5).
    @Suite struct BreakdownCommands {
        /// Artists with 4, 3, 2 and 1 tracks; labels likewise.
        static let csv = """
            track_id,label_status,label,artist_id,genai_opt_in
            a1,independent,Tiny,ann,
            a2,independent,Tiny,ann,
            a3,independent,Tiny,ann,
            a4,major,Sony,ann,
            b1,major,Sony,bob,
            b2,major,Sony,bob,
            b3,licensed,"Orchard, The",bob,
            c1,unknown,,cat,
            c2,independent,Tiny,cat,yes
            d1,unknown,,,

            """

        static let policies = ["soundcloud-2025-05", "soundcloud-opt-out"]

        func scanned(_ tmp: TempDir, store: String = "all") throws {
            let input = try tmp.write("c.csv", Self.csv)
            let r = try consentry(["scan", input, "--db", tmp.db, "--store", store] + Spec.policyArguments(Self.policies))
            #expect(r.exitCode == 0, "\(r)")
        }

        /// A `report --by … --format json` document's groups of `policy` as `key tracks/exposed`.
        func groups(_ json: JSON, _ policy: String, _ key: String) -> [String] {
            (json["policies"]?[policy]?["groups"]?.array ?? []).map {
                "\($0[key]?.string ?? "?") \($0["tracks"]?.int ?? -1)/\($0["any_training_exposed"]?.int ?? -1)"
            }
        }

        @Test func byArtistTopOneListsTheLargestArtistOfEachPolicy() throws {
            let tmp = try TempDir()
            try scanned(tmp)
            let json = try consentry(["report", "--db", tmp.db, "--by", "artist", "--top", "1", "--format", "json"])
            #expect(json.exitCode == 0, "\(json)")
            let doc = try JSON.parse(json.stdoutData)
            #expect(doc["by"]?.string == "artist_id")
            for policy in Self.policies {
                #expect(doc["policies"]?[policy]?["groups_total"]?.int == 4)
                #expect(groups(doc, policy, "artist_id").count == 1)
                #expect(groups(doc, policy, "artist_id").first?.hasPrefix("ann 4/") == true)
            }
            let all = try JSON.parse(try consentry(["report", "--db", tmp.db, "--by", "artist", "--top", "all", "--format", "json"]).stdoutData)
            // Under 2025-05 independent and unknown tracks are open to ai_training; major and licensed are not.
            #expect(groups(all, Self.policies[0], "artist_id") == ["ann 4/3", "bob 3/0", "cat 2/2", " 1/1"])

            let text = try consentry(["report", "--db", tmp.db, "--by", "artist", "--top", "1"])
            #expect(text.exitCode == 0, "\(text)")
            #expect(text.stdout.contains("the 1 largest of 4 artists"), "\(text.stdout)")
            #expect(!text.stdout.contains("bob"), "\(text.stdout)")
            let labels = try consentry(["report", "--db", tmp.db, "--by", "label", "--format", "csv"])
            #expect(labels.exitCode == 0, "\(labels)")
            let lines = labels.stdout.split(separator: "\n")
            #expect(lines.first == "run_id,policy_id,label,tracks,any_training_exposed,exposed_share")
            let keys = lines.dropFirst().filter { $0.contains(",\(Self.policies[0]),") }
                .map { String($0.split(separator: ",", omittingEmptySubsequences: false)[2]) }
            #expect(keys == ["Tiny", "Sony", "", "\"Orchard"], "largest first, the quoted label cut by this naive split: \(keys)")
        }

        @Test func everyFormatCanBeWrittenToAFile() throws {
            let tmp = try TempDir()
            try scanned(tmp)
            for format in ["text", "json", "markdown", "csv", "html"] {
                let out = tmp.file("by-label.\(format)")
                let r = try consentry(["report", "--db", tmp.db, "--by", "label", "--format", format, "--output", out])
                #expect(r.exitCode == 0, "\(format): \(r)")
                #expect(r.stdout.isEmpty)
                let written = try String(contentsOfFile: out, encoding: .utf8)
                #expect(written.contains("Tiny") && written.contains("Orchard, The"), "\(format): \(written)")
                if format != "json" && format != "csv" { #expect(written.contains("(no label)"), "\(format)") }
            }
        }

        @Test(arguments: [
            ["--by", "artist", "--top", "0"],
            ["--by", "artist", "--top", "-1"],
            ["--by", "label", "--top", "many"],
            ["--top", "3"],
            ["--top", "all"],
            ["--by", "album"],
        ])
        func badBreakdownOptionsAreUsageErrors(arguments: [String]) throws {
            let tmp = try TempDir()
            try scanned(tmp)
            let r = try consentry(["report", "--db", tmp.db] + arguments)
            #expect(r.exitCode == 64, "\(arguments): \(r)")
            #expect(r.stdout.isEmpty, "\(r.stdout)")
            #expect(r.stderr.contains(arguments.contains("--top") ? "--top" : "--by"), "\(r.stderr)")
        }

        @Test func anArtistBreakdownOfAStoreNoneRunIsRefusedWhileItsLabelsAreShown() throws {
            let tmp = try TempDir()
            try scanned(tmp, store: "none")
            let artists = try consentry(["report", "--db", tmp.db, "--by", "artist"])
            #expect(artists.exitCode == 2, "\(artists)")
            #expect(artists.stderr.contains("--store none") && artists.stderr.contains("[run_not_found]"), "\(artists.stderr)")
            let labels = try consentry(["report", "--db", tmp.db, "--by", "label", "--format", "json"])
            #expect(labels.exitCode == 0, "\(labels)")
            #expect(groups(try JSON.parse(labels.stdoutData), Self.policies[1], "label").count == 4)
            // The HTML report says why the artists are missing.
            let html = try consentry(["report", "--db", tmp.db, "--format", "html"])
            #expect(html.exitCode == 0, "\(html)")
            #expect(html.stdout.contains("id=\"most-exposed\"") && html.stdout.contains("No artists: "), "\(html.stdout.prefix(300))")
        }
    }
}
