import ArgumentParser
import ConsentryModel
import ConsentryEngine
import ConsentryStore
import ConsentryReports

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "List, show, check and test policies.",
        subcommands: [List.self, Show.self, Check.self, Test.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the built-in policies.")

        func run() throws {
            for id in BuiltInPolicies.ids {
                let policy = try BuiltInPolicies.policy(id)
                Output.write("\(id)\(id == BuiltInPolicies.defaultID ? " (default)" : "")\t\(policy.title)\n")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a built-in policy's YAML.")

        @Argument(help: "A built-in policy id.")
        var id: String

        func run() throws {
            Output.write(try BuiltInPolicies.yaml(id))
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a policy file (exit 64 when invalid).",
            discussion: "Warns about rules that can never decide any track; warnings leave the exit code 0.")

        @Argument(help: "A policy YAML file.")
        var file: String

        func run() throws {
            let policy = try PolicyLoader.load(file: file)
            let rules = policy.rules.map(\.count).reduce(0, +)
            let findings = PolicyLint.findings(policy)
            let warnings = findings.isEmpty ? "" : ", \(findings.count) warning\(findings.count == 1 ? "" : "s")"
            Output.write("\(file): ok: policy '\(policy.id)' with \(rules) rules over \(policy.rules.count) uses\(warnings)\n")
            for finding in findings {
                Output.warn(finding.description)
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run policy test files: example tracks and the verdicts they must get.",
            discussion: """
                Prints a line per failing case and a closing 'N passed, N failed'. Exit 0 when every \
                case passes, 1 when one fails, 64 when a test file is invalid. A rule that decides \
                no case is a warning; with --require-coverage it also makes the exit code 1.
                """)

        @Argument(help: "Policy test files (YAML).")
        var files: [String] = []

        @Flag(help: "Run the tests shipped with every built-in policy (before any FILE).")
        var builtIn = false

        @Flag(help: "Exit 1 when a rule is the deciding rule of no case.")
        var requireCoverage = false

        func validate() throws {
            guard builtIn || !files.isEmpty else {
                throw ValidationError("give one or more policy test files, or --built-in")
            }
        }

        func run() throws {
            // Every file is loaded before any runs: an invalid one is a usage error (64), not a failure.
            let suites: [PolicyTestSuite]
            suites = try (builtIn ? BuiltInPolicies.ids.map(PolicyTestSuite.builtIn) : [])
                + files.map(PolicyTestSuite.load(file:))
            var passed = 0
            var failed = 0
            var uncovered = 0
            for suite in suites {
                let outcome = suite.run()
                for failure in outcome.failures {
                    Output.write(suite.describe(failure) + "\n")
                }
                for rule in outcome.uncovered {
                    Output.warn(suite.describe(rule))
                }
                if suites.count > 1 {
                    Output.write("\(suite.file): \(outcome.passed) passed, \(outcome.failed) failed\n")
                }
                passed += outcome.passed
                failed += outcome.failed
                uncovered += outcome.uncovered.count
            }
            let coverage = uncovered == 0 ? "" : ", \(uncovered) rule\(uncovered == 1 ? "" : "s") deciding no case"
            Output.write("\(passed) passed, \(failed) failed\(coverage)\n")
            if failed > 0 || (requireCoverage && uncovered > 0) {
                throw UnmetExpectation(code: "policy_tests_failed", label: "policy test", lines: [])
            }
        }
    }
}
