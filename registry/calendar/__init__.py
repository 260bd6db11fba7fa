"""The calendar of exercises: what runs when (``events``), the page's filters (``forms``),
and each user's iCalendar feed at a secret address (``feed``)."""
