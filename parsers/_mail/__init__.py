"""Private helpers of `parsers.email`: decoding, MIME walking, noise, replies, fields.

Nothing here is a parser of its own; the registry skips modules whose name
starts with an underscore.
"""
