import ArgumentParser
import ConsentryCore

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "List, show and check policies.",
        subcommands: [List.self, Show.self, Check.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the built-in policies.")

        func run() throws {
            for id in BuiltInPolicies.ids {
                do {
                    let policy = try BuiltInPolicies.policy(id)
                    Output.write("\(id)\(id == BuiltInPolicies.defaultID ? " (default)" : "")\t\(policy.title)\n")
                } catch {
                    Failure.report(error)
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a built-in policy's YAML.")

        @Argument(help: "A built-in policy id.")
        var id: String

        func run() throws {
            do {
                Output.write(try BuiltInPolicies.yaml(id))
            } catch {
                Failure.report(error)
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a policy file (exit 64 when invalid).")

        @Argument(help: "A policy YAML file.")
        var file: String

        func run() throws {
            do {
                let policy = try PolicyLoader.load(file: file)
                let rules = policy.rules.map(\.count).reduce(0, +)
                Output.write("\(file): ok: policy '\(policy.id)' with \(rules) rules over \(policy.rules.count) uses\n")
            } catch {
                Failure.report(error)
            }
        }
    }
}
