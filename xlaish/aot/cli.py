"""``xlaish export`` (filled in by the AOT work)."""


def configure(parser):
    parser.add_argument("target")


def run(args) -> int:
    raise SystemExit("xlaish export: not implemented yet")
