"""The AWS CDK app that deploys Jiazheng: one stack per stage, built from ``chalicelib.resources``."""
