"""Two small invented Ofsted-style reports shared by the library and app tests."""

BIRMINGHAM = """Birmingham City Council

Re-inspection of services for children in need of help and protection
Inspection dates: 12 September 2016 to 6 October 2016
Report published: 25 November 2016

Children’s services in Birmingham are inadequate.

Executive summary

The multi-agency safeguarding hub does not identify and reduce risks to children at the point of referral. \
Ofsted inspectors referred cases back to the authority where risk had not been identified.

Care leavers

Care leavers in Birmingham receive pathway plans that are too often out of date. Personal advisers visit \
care leavers regularly, but too few care leavers live in suitable accommodation.
"""

STOKE = """Stoke-on-Trent City Council

Inspection of services for children in need of help and protection
Inspection date: 1/06/2015 – 25/06/2015
Report published: 10/08/2015

Children’s services in Stoke-on-Trent require improvement to be good.

Executive summary

Adoption performance in Stoke-on-Trent is good. Ofsted found that children are matched with adopters \
quickly and adopters are well supported after placement.

Care leavers

Personal advisers for care leavers in Stoke-on-Trent keep in touch well and most care leavers are in \
education, employment or training.
"""
