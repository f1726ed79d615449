import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while the CLI itself is imported: the one line the CLI prints, not a traceback
    print("dataaudit: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
