"""The project's Qwen3-style chat template (written for trl-styling, not copied from Qwen)."""

from __future__ import annotations

__all__ = ["chat_template"]

_TEMPLATE_CONTENT_MACRO = r"""
{%- macro render_content(content) -%}
    {%- if content is string -%}
        {{- content -}}
    {%- elif content is iterable and content is not mapping -%}
        {%- for part in content -%}
            {%- if part is string -%}
                {{- part -}}
            {%- else -%}
                {#- Arrow gives every part every key (unused ones None), so trust `type` when it is set -#}
                {%- set kind = part.type -%}
                {%- if not kind -%}
                    {%- set kind = 'image' if part.image else ('video' if part.video else 'text') -%}
                {%- endif -%}
                {%- if kind == 'text' -%}
                    {{- part.text if part.text else '' -}}
                {%- elif VISION and kind in ('image', 'image_url') -%}
                    {{- '<|vision_start|><|image_pad|><|vision_end|>' -}}
                {%- elif VISION and kind == 'video' -%}
                    {{- '<|vision_start|><|video_pad|><|vision_end|>' -}}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro -%}
"""

# Written for this project (Qwen3 *style*, not Qwen's text). Every output character comes from a ``{{ }}``
# expression, so template indentation never leaks into the rendering. Choices that matter for training:
# - the generation prompt is exactly ``<|im_start|>assistant\n`` and the assistant turn renders right after
#   it, so prompt tokens are a prefix of prompt+completion tokens (TRL's prompt-completion SFT needs it);
# - ``reasoning_content`` is rendered for *every* assistant turn (Qwen3 drops it before the last user turn),
#   which keeps earlier turns identical however long the conversation grows;
# - consecutive tool messages share one ``user`` turn of ``<tool_response>`` blocks, as in Qwen3;
# - ``<|im_end|>`` of an assistant turn is inside ``{% generation %}`` so assistant-only loss trains stopping.
_TEMPLATE_BODY = r"""
{%- if messages and messages[0].role == 'system' -%}
    {%- set system_text = render_content(messages[0].content) -%}
    {%- set rest = messages[1:] -%}
{%- else -%}
    {%- set system_text = '' -%}
    {%- set rest = messages -%}
{%- endif -%}
{%- if tools -%}
    {{- '<|im_start|>system\n' -}}
    {%- if system_text -%}
        {{- system_text + '\n\n' -}}
    {%- endif -%}
    {{- '## Available tools\n\nTo use a tool, write one JSON object with its "name" and "arguments" between '
        '<tool_call> and </tool_call>. Tool signatures:\n<tools>' -}}
    {%- for tool in tools -%}
        {{- '\n' + (tool | tojson) -}}
    {%- endfor -%}
    {{- '\n</tools><|im_end|>\n' -}}
{%- elif messages and messages[0].role == 'system' -%}
    {{- '<|im_start|>system\n' + system_text + '<|im_end|>\n' -}}
{%- endif -%}
{%- for message in rest -%}
    {%- if message.role == 'assistant' -%}
        {{- '<|im_start|>assistant\n' -}}
        {%- generation -%}
            {%- if message.reasoning_content is defined and message.reasoning_content is not none -%}
                {{- '<think>\n' + (message.reasoning_content | trim) + '\n</think>\n\n' -}}
            {%- endif -%}
            {%- set text = render_content(message.content) -%}
            {{- text -}}
            {%- if message.tool_calls is defined and message.tool_calls -%}
                {%- for call in message.tool_calls -%}
                    {%- set fn = call.function if call.function else call -%}
                    {%- if text or not loop.first -%}
                        {{- '\n' -}}
                    {%- endif -%}
                    {{- '<tool_call>\n{"name": ' + (fn.name | tojson) + ', "arguments": ' -}}
                    {%- if fn.arguments is string -%}
                        {{- fn.arguments -}}
                    {%- else -%}
                        {{- fn.arguments | tojson -}}
                    {%- endif -%}
                    {{- '}\n</tool_call>' -}}
                {%- endfor -%}
            {%- endif -%}
            {{- '<|im_end|>' -}}
        {%- endgeneration -%}
        {{- '\n' -}}
    {%- elif message.role == 'tool' -%}
        {%- if loop.first or rest[loop.index0 - 1].role != 'tool' -%}
            {{- '<|im_start|>user' -}}
        {%- endif -%}
        {{- '\n<tool_response>\n' + render_content(message.content) + '\n</tool_response>' -}}
        {%- if loop.last or rest[loop.index0 + 1].role != 'tool' -%}
            {{- '<|im_end|>\n' -}}
        {%- endif -%}
    {%- else -%}
        {{- '<|im_start|>' + message.role + '\n' + render_content(message.content) + '<|im_end|>\n' -}}
    {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{- '<|im_start|>assistant\n' -}}
{%- endif -%}
"""


def chat_template(*, vision: bool = False) -> str:
    """Return the project's Jinja chat template; ``vision=True`` also renders image/video content parts."""
    flag = "{%- set VISION = " + ("true" if vision else "false") + " -%}"
    return flag + _TEMPLATE_CONTENT_MACRO + _TEMPLATE_BODY.rstrip()
