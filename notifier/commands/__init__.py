"""The sub-commands of `notifier`, one module each; what a command needs is imported inside the function that runs it.

May import anything in notifier, but only inside functions: `add_parser` stays cheap.
"""

# Each module's ``add_parser`` builds its part of ``notifier --help`` and must
# stay cheap: what a command needs (the daemon, httpx, Apprise) is imported
# inside the function that runs it. Commands may import anything in notifier.
