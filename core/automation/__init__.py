"""The automation engine (issue 6): triggers, conditions and actions from plugins.

base.py — the Trigger / Action / Param / Context interface plugins implement;
conditions.py — condition rows and their evaluation; context.py — placeholder values as
the author may see them; engine.py — running automations from events, and dry runs.
The built-in triggers and actions are a default plugin: accord.core.default_automations.
"""

from accord.core.automation.base import Action, ActionSkipped, Context, Param, Trigger

__all__ = ["Action", "ActionSkipped", "Context", "Param", "Trigger"]
