from scograph.cli import main

# Guarded: a process the build spawns (the search indexer) imports this module again.
if __name__ == "__main__":
    main()
