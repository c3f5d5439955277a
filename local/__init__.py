"""The local stack: moto server + template-driven resources, HTTP front and event-source pollers.

Everything here reads ``template.yaml``; there is no second list of resources.
"""
