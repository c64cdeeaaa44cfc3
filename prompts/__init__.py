"""The generator's Jinja2 templates (``*.j2``), shipped as package data so that any install finds them.

This package holds no code: :class:`synth.prompts.PromptLibrary` reads the templates with
``importlib.resources.files("prompts")``, which works for an editable install, a wheel, and
``pip install --target DIR`` alike.
"""
