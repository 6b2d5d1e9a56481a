import ConsentryCLI

ConsentryCLI.main()
