"""Chat templates rendered in Spark workers with jinja2 alone, and chats sliced into prompt/response turns.

Workers must not import transformers (it imports torch), so the template from ``tokenizer_config.json``
is rendered here in the same kind of environment transformers' ``apply_chat_template`` builds: a
sandboxed jinja2 environment with ``trim_blocks`` and ``lstrip_blocks``, the ``loopcontrols``
extension, a ``{% generation %}`` block that renders its body, a ``tojson`` filter that does not
escape HTML, ``raise_exception`` and ``strftime_now``; the special tokens (``bos_token``, ...) are
template variables. The tests compare the result with transformers on real chats.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

#: Compiled templates, once per worker process, keyed by the template text.
_COMPILED: dict[str, Any] = {}


class ChatTemplateError(ValueError):
    """Raised when a chat cannot be rendered, or its renderings are not prefixes of each other."""


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None, separators: Any = None,
            sort_keys: bool = False) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _compile(template: str) -> Any:
    import jinja2
    from jinja2.ext import Extension
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Generation(Extension):
        """``{% generation %}...{% endgeneration %}`` marks assistant text; rendering keeps the body."""

        tags = {"generation"}

        def parse(self, parser: Any) -> Any:
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

        def _body(self, caller: Callable[[], str]) -> str:
            return caller()

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[Generation, jinja2.ext.loopcontrols])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env.from_string(template)


def render_chat(template: str, messages: Sequence[Mapping[str, Any]], *, add_generation_prompt: bool,
                special_tokens: Mapping[str, Any]) -> str:
    """The chat as text, as ``tokenizer.apply_chat_template(messages, tokenize=False)`` renders it."""
    try:
        if template not in _COMPILED:
            _COMPILED[template] = _compile(template)
        return _COMPILED[template].render(messages=list(messages), tools=None, documents=None,
                                          add_generation_prompt=add_generation_prompt, **special_tokens)
    except Exception as error:  # jinja2 raises many kinds (TemplateError, TypeError, UndefinedError...)
        raise ChatTemplateError(f"the chat template failed: {str(error)[:200]}") from error


def slice_turns(messages: Sequence[Mapping[str, Any]], render: Callable[..., str]) -> list[tuple[str, str]]:
    """One (prompt, response) text pair per assistant message, as llm-foundry slices a chat.

    For the chat through assistant message ``i``: the response is the full rendering minus the
    rendering of the messages before it with the generation prompt; the prompt is that generation-
    prompt rendering minus everything already emitted. Each rendering must start with the previous
    one (llm-foundry raises otherwise), else :class:`ChatTemplateError`.
    """
    emitted = ""
    turns: list[tuple[str, str]] = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        full = render(messages[: index + 1], add_generation_prompt=False)
        with_prompt = render(messages[:index], add_generation_prompt=True)
        if not (full.startswith(emitted) and with_prompt.startswith(emitted) and full.startswith(with_prompt)):
            raise ChatTemplateError(f"rendering of turn {len(turns)} does not extend the one before it")
        turns.append((with_prompt[len(emitted):], full[len(with_prompt):]))
        emitted = full
    return turns
