"""Command line for operators: create admin and support accounts, re-file the order day index.

Admins are never self-registered; an operator with AWS credentials for the stage runs
``python -m chalicelib.admin_cli create-user --role admin --email ... --name ...`` (the password
is read from ``--password`` or prompted), with the stage's environment (``TABLE_NAME``,
``APP_SECRET_ID``) set. ``reindex-order-days`` files every order under its shard of the
orders-by-start-day index (``chalicelib.orders.day_index``) after the shard count changed.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from chalicelib.accounts.policy import password_problem
from chalicelib.accounts.targets import target_from
from chalicelib.accounts.users import create_user
from chalicelib.errors import AppError

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="admin_cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="create an admin or support account")
    create.add_argument("--role", choices=["admin", "support"], required=True)
    who = create.add_mutually_exclusive_group(required=True)
    who.add_argument("--email")
    who.add_argument("--phone")
    create.add_argument("--name", required=True)
    create.add_argument("--password", help="prompted for when absent")
    commands.add_parser("reindex-order-days", help="file every order under its day index shard")
    args = parser.parse_args(argv)
    if args.command == "reindex-order-days":
        from chalicelib.orders.day_index import reindex

        print(f"moved {reindex()} orders to their day index shard")
        return 0

    password = args.password or getpass.getpass("password: ")
    problem = password_problem(password)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        target = target_from(phone=args.phone, email=args.email, new_account=True)
        user = create_user(target, password, args.name, args.role)
    except AppError as error:
        print(f"error: {error.code} {error.details or ''}", file=sys.stderr)
        return 1
    print(f"created {user.role} {user.user_id} ({target.masked})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
