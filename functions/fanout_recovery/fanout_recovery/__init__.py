"""FanoutRecoveryFunction: the fan-out's on-failure records -> failed deliveries for recover to replay."""
