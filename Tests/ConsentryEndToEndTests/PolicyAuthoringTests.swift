import Foundation
import Testing
import TestSupport

/// A policy with an opt-out, as a user would write it (ai_training's rules on lines 8 and 11).
private let optOutPolicy = """
id: my-platform
title: A platform that honours opt-outs for non-generative training
uses:
  ai_generative_training:
    - id: default
      verdict: blocked
  ai_training:
    - id: opt-out
      when: { ai_opt_out: true }
      verdict: blocked
    - id: default
      verdict: exposed
  ai_inference:
    - id: default
      verdict: exposed
  data_mining:
    - id: default
      verdict: blocked

"""

/// Tests of `optOutPolicy` (in `policies/`), the second case (line 10) failing; ai_training's
/// `default` decides no case.
private let optOutTests = """
policy: ../policies/my-platform.yaml
cases:
  - name: an artist who opted out is not trained on
    track: { label_status: independent, ai_opt_out: "yes" }
    expect:
      ai_generative_training: blocked
      ai_training: { verdict: blocked, rule: opt-out }
      ai_inference: exposed
      data_mining: blocked
  - name: an unsigned artist who said Y is not trained on either
    track: { label_status: unsigned, ai_opt_out: "Y ", genai_opt_in: "0" }
    expect:
      ai_training: { verdict: exposed, rule: default }

"""

private func lines(_ text: String) -> [String] {
    text.split(separator: "\n").map(String.init)
}

extension EndToEnd {
    /// `policy test` (test files, coverage, exit codes) and `policy check`'s warnings.
    @Suite struct PolicyAuthoring {
        /// A temporary directory with `policies/my-platform.yaml` and `tests/my-platform.test.yaml`.
        private func project(tests: String = optOutTests) throws -> (TempDir, test: String, policy: String) {
            let tmp = try TempDir()
            for folder in ["policies", "tests"] {
                try FileManager.default.createDirectory(atPath: tmp.file(folder), withIntermediateDirectories: true)
            }
            let policy = try tmp.write("policies/my-platform.yaml", optOutPolicy)
            let test = try tmp.write("tests/my-platform.test.yaml", tests)
            return (tmp, test, policy)
        }

        @Test func builtInTestsPass() throws {
            let r = try consentry(["policy", "test", "--built-in", "--require-coverage"])
            #expect(r.exitCode == 0, "\(r)")
            #expect(r.stderr.isEmpty, "no warnings expected: \(r)")
            let closing = try #require(lines(r.stdout).last)
            #expect(closing.range(of: #"^[1-9][0-9]* passed, 0 failed$"#, options: .regularExpression) != nil, "\(r)")
            for id in Spec.builtInPolicies {
                #expect(r.stdout.contains("built-in:\(id).test.yaml: "), "per-file counts: \(r)")
            }
            // The shipped files are ordinary test files too.
            let shipped = Paths.builtInPolicy(Spec.defaultPolicy).replacingOccurrences(of: ".yaml", with: ".test.yaml")
            let byPath = try consentry(["policy", "test", shipped])
            #expect(byPath.exitCode == 0, "\(byPath)")
        }

        @Test func aFailingCaseIsReportedWithItsLineAndExitOne() throws {
            let (tmp, test, _) = try project()
            // Run from elsewhere: the policy path is taken from the test file's directory.
            let r = try consentry(["policy", "test", test], directory: "/")
            #expect(r.exitCode == 1, "\(r)")
            #expect(lines(r.stdout) == [
                "\(test):10: case 'an unsigned artist who said Y is not trained on either': ai_training: expected exposed (rule default), got blocked (rule opt-out)",
                "1 passed, 1 failed, 1 rule deciding no case",
            ], "\(r)")
            // Relative paths as given are what the messages name.
            let relative = try consentry(["policy", "test", "tests/my-platform.test.yaml"], directory: tmp.path)
            #expect(relative.exitCode == 1, "\(relative)")
            #expect(relative.stdout.hasPrefix("tests/my-platform.test.yaml:10: case '"), "\(relative)")
        }

        @Test func passingFilesExitZeroAndSeveralFilesAreSummed() throws {
            let fixed = optOutTests.replacingOccurrences(of: "{ verdict: exposed, rule: default }", with: "{ verdict: blocked, rule: opt-out }")
            let (tmp, test, policy) = try project(tests: fixed)
            let ok = try consentry(["policy", "test", test])
            #expect(ok.exitCode == 0, "\(ok)")
            #expect(lines(ok.stdout) == ["2 passed, 0 failed, 1 rule deciding no case"], "\(ok)")
            // ai_training's default (line 11) decides no case: a warning, not a failure.
            #expect(lines(ok.stderr) == [
                "consentry: warning: \(tmp.path)/tests/../policies/my-platform.yaml:11: rule 'default' of ai_training is never the deciding rule in any case of \(test)",
            ], "\(ok)")
            #expect(policy == tmp.file("policies/my-platform.yaml"))
            let strict = try consentry(["policy", "test", test, "--require-coverage"])
            #expect(strict.exitCode == 1, "\(strict)")

            let failing = try tmp.write("tests/failing.test.yaml", optOutTests)
            let both = try consentry(["policy", "test", test, failing, "--built-in"])
            #expect(both.exitCode == 1, "\(both)")
            let out = lines(both.stdout)
            #expect(out.contains("\(test): 2 passed, 0 failed"), "\(both)")
            #expect(out.contains("\(failing): 1 passed, 1 failed"), "\(both)")
            #expect(out.contains { $0.hasPrefix("\(failing):10: case ") }, "\(both)")
            let closing = try #require(out.last)
            #expect(closing.range(of: #"^[1-9][0-9]* passed, 1 failed, 2 rules deciding no case$"#, options: .regularExpression) != nil, "\(both)")
        }

        @Test func invalidTestFilesAreUsageErrors() throws {
            let (tmp, _, _) = try project()
            let unknownRule = try tmp.write("tests/unknown-rule.test.yaml", optOutTests.replacingOccurrences(of: "rule: opt-out", with: "rule: opted-out"))
            let r = try consentry(["policy", "test", unknownRule])
            #expect(r.exitCode == 64, "\(r)")
            #expect(r.stderr.hasPrefix("consentry: error: \(unknownRule):7: the policy 'my-platform' has no rule 'opted-out' in ai_training"), "\(r)")
            #expect(r.stdout.isEmpty, "nothing runs when a file is invalid: \(r)")

            let badValue = try tmp.write("tests/bad-value.test.yaml", optOutTests.replacingOccurrences(of: "ai_opt_out: \"yes\"", with: "ai_opt_out: maybe"))
            let bad = try consentry(["policy", "test", badValue])
            #expect(bad.exitCode == 64, "\(bad)")
            #expect(bad.stderr.contains("\(badValue):4: ai_opt_out 'maybe' is not a boolean"), "\(bad)")

            let noExpect = try tmp.write("tests/no-expect.test.yaml", "policy: soundcloud-2025-05\ncases:\n  - name: nothing\n    track: {}\n")
            let none = try consentry(["policy", "test", noExpect])
            #expect(none.exitCode == 64, "\(none)")
            #expect(none.stderr.contains("\(noExpect):3: "), "\(none)")

            let missing = try consentry(["policy", "test", tmp.file("absent.test.yaml")])
            #expect(missing.exitCode == 64, "\(missing)")
            let noFiles = try consentry(["policy", "test"])
            #expect(noFiles.exitCode == 64, "\(noFiles)")
        }

        @Test func checkWarnsAboutRulesThatCanNeverDecide() throws {
            let tmp = try TempDir()
            let shadowed = try tmp.write("shadowed.yaml", optOutPolicy.replacingOccurrences(of: """
                  ai_inference:
                    - id: default
                      verdict: exposed
                """, with: """
                  ai_inference:
                    - id: everything
                      verdict: exposed
                    - id: tagged
                      when: { no_ai_tag: true }
                      verdict: blocked
                    - id: default
                      verdict: exposed
                """))
            let r = try consentry(["policy", "check", shadowed])
            #expect(r.exitCode == 0, "warnings keep exit 0: \(r)")
            #expect(r.stdout.contains("\(shadowed): ok: policy 'my-platform'"), "\(r)")
            #expect(lines(r.stderr) == [
                "consentry: warning: \(shadowed):16: rule 'tagged' of ai_inference can never decide: rule 'everything' (line 14) above it has no 'when'",
                "consentry: warning: \(shadowed):19: rule 'default' of ai_inference can never decide: rule 'everything' (line 14) above it has no 'when'",
            ], "\(r)")

            for id in Spec.builtInPolicies {
                let clean = try consentry(["policy", "check", Paths.builtInPolicy(id)])
                #expect(clean.exitCode == 0 && clean.stderr.isEmpty, "\(id): \(clean)")
            }
            // Scans are not affected by what check warns about.
            let scan = try consentry(["scan", Paths.sample("dirty.jsonl"), "--db", tmp.db, "--policy", shadowed, "--quiet"])
            #expect(scan.exitCode == 0, "\(scan)")
            #expect(!scan.stderr.contains("warning"), "\(scan)")
        }
    }
}
