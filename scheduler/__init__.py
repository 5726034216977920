"""Time: the Clock, `when` expressions to dated deliveries, and the APScheduler set-up."""
