from scograph.cli import main

main()
