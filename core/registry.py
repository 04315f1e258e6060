"""Registries of named things (field types, triggers, actions, channels) built from hooks."""


class RegistryError(RuntimeError):
    """Two plugins registered the same name, or a registered class has no name."""


class Registry(dict):
    """name -> class, with the plugin each came from in `origins`."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.origins = {}

    def add(self, item, origin):
        name = getattr(item, "name", None)
        if not name or not isinstance(name, str):
            raise RegistryError(f"{self.kind} {item!r} from {origin} has no string `name`")
        if name in self:
            raise RegistryError(
                f"duplicate {self.kind} {name!r}: registered by {self.origins[name]} and {origin}"
            )
        self[name] = item
        self.origins[name] = origin


def build(pm, hook_name, kind):
    """Call each implementation of `hook_name` on its own so a duplicate names its plugin."""
    registry = Registry(kind)
    caller = getattr(pm.hook, hook_name)
    # get_hookimpls() is in registration (load) order: the earlier plugin is named first.
    # Hook wrappers wrap a whole hook call, which this is not: they are skipped.
    for impl in caller.get_hookimpls():
        if impl.wrapper or impl.hookwrapper:
            continue
        origin = pm.get_name(impl.plugin) or repr(impl.plugin)
        for item in impl.function() or ():
            registry.add(item, origin)
    return registry
