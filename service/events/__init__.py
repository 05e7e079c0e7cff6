"""Events parents already come to: a parents' café, a digital stand at the school fête, a
workshop, a parent-teacher meeting — per platform, per school or per class."""
