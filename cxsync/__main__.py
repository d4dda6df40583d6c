from cxsync.cli import main

main()
